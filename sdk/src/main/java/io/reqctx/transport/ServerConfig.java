package io.reqctx.transport;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.Ticker;
import io.reqctx.Tier;
import io.reqctx.internal.telemetry.ConfiguredOpenTelemetry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * How a server entry point (a gRPC server interceptor, an HTTP decorator) opens the scope of each
 * inbound request. Immutable and thread-safe.
 *
 * <pre>{@code
 * ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED)
 *     .acceptedKeys(TENANT, AUTH_SUBJECT)
 *     .methodBudgets(budgetsFromProto::get)   // full method name -> Callee with a method budget
 *     .longLivedMethod("config.Config/Watch")  // a stream not cut at the tier's 3 s
 *     .openTelemetry(openTelemetry)
 *     .build();
 * }</pre>
 */
public final class ServerConfig {
  /** Default for {@link Builder#maxHops}. */
  public static final int DEFAULT_MAX_HOPS = 32;

  private final Tier tier;
  private final Trust trust;
  private final BudgetPolicy policy;
  private final List<CtxKey<?>> acceptedKeys;
  private final int maxHops;
  private final OpenTelemetry openTelemetry;
  private final Function<String, @Nullable Callee> methodBudgets;
  private final Ticker ticker;
  private final SpanMode spans;
  private final boolean continueInboundTrace;
  private final boolean acceptBaggage;
  private final Map<String, Callee> longLivedMethods;

  private ServerConfig(Builder b) {
    this.tier = b.tier;
    this.trust = b.trust;
    this.policy = b.policy;
    this.acceptedKeys = b.acceptedKeys;
    this.maxHops = b.maxHops;
    this.openTelemetry = ConfiguredOpenTelemetry.of(b.openTelemetry);
    this.methodBudgets = b.methodBudgets;
    this.ticker = b.ticker;
    this.spans = b.spans;
    this.continueInboundTrace = b.continueInboundTrace;
    this.acceptBaggage = b.acceptBaggage != null ? b.acceptBaggage : b.trust == Trust.TRUSTED;
    this.longLivedMethods = Map.copyOf(b.longLivedMethods);
  }

  /** Starts a configuration for a server of tier {@code tier} whose callers are {@code trust}. */
  public static Builder builder(Tier tier, Trust trust) {
    return new Builder(requireNonNull(tier, "tier"), requireNonNull(trust, "trust"));
  }

  /** The tier of this server; its cap bounds every inbound budget. */
  public Tier tier() {
    return tier;
  }

  /** Whether callers are trusted. */
  public Trust trust() {
    return trust;
  }

  /** The budget arithmetic. */
  public BudgetPolicy policy() {
    return policy;
  }

  /** The propagated keys read from inbound headers; values of other keys are ignored. */
  public List<CtxKey<?>> acceptedKeys() {
    return acceptedKeys;
  }

  /** The largest inbound hop count accepted; above it the call is rejected as a loop. */
  public int maxHops() {
    return maxHops;
  }

  /**
   * Where the propagator, the tracer and the meter come from: the instance given to {@link
   * Builder#openTelemetry}, or else {@link GlobalOpenTelemetry}'s, resolved at each use and never
   * when the config is built (until the application sets the global, calls use a no-op).
   */
  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /**
   * What is declared for {@code fullMethodName} — its method budget, or that it is long-lived — or
   * null: a {@linkplain Builder#longLivedMethod long-lived method} first, then the {@linkplain
   * Builder#methodBudgets method budgets} lookup.
   */
  public @Nullable Callee methodBudget(String fullMethodName) {
    Callee longLived = longLivedMethods.get(fullMethodName);
    return longLived != null ? longLived : methodBudgets.apply(fullMethodName);
  }

  /** The ticker of the scopes this server opens. */
  public Ticker ticker() {
    return ticker;
  }

  /** What reqctx does with spans. */
  public SpanMode spans() {
    return spans;
  }

  /**
   * Whether the caller's W3C trace ({@code traceparent}, {@code tracestate}) is continued; otherwise
   * every call starts a new trace.
   */
  public boolean continueInboundTrace() {
    return continueInboundTrace;
  }

  /**
   * Whether the caller's W3C {@code baggage} is read (made current as OpenTelemetry's {@code
   * Baggage} and forwarded on the server's calls); by default at a {@link Trust#TRUSTED} server only.
   */
  public boolean acceptBaggage() {
    return acceptBaggage;
  }

  /** Configures a {@link ServerConfig}. Not thread-safe. */
  public static final class Builder {
    private final Tier tier;
    private final Trust trust;
    private BudgetPolicy policy = BudgetPolicy.defaults();
    private List<CtxKey<?>> acceptedKeys = List.of();
    private int maxHops = DEFAULT_MAX_HOPS;
    private @Nullable OpenTelemetry openTelemetry;
    private Function<String, @Nullable Callee> methodBudgets = method -> null;
    private Ticker ticker = Ticker.system();
    private SpanMode spans = DefaultSpanMode.get();
    private boolean continueInboundTrace = true;
    private @Nullable Boolean acceptBaggage;
    private final Map<String, Callee> longLivedMethods = new HashMap<>();

    private Builder(Tier tier, Trust trust) {
      this.tier = tier;
      this.trust = trust;
    }

    /** The budget arithmetic (default {@link BudgetPolicy#defaults()}). */
    public Builder policy(BudgetPolicy policy) {
      this.policy = requireNonNull(policy, "policy");
      return this;
    }

    /**
     * The propagated keys to read from inbound headers (default none). At an {@link Trust#EDGE} server
     * sensitive keys are ignored even when listed.
     *
     * @throws IllegalArgumentException when a key is local
     */
    public Builder acceptedKeys(CtxKey<?>... keys) {
      List<CtxKey<?>> copy = List.of(keys);
      for (CtxKey<?> key : copy) {
        if (!key.isPropagated()) {
          throw new IllegalArgumentException(key + " is local: only propagated keys travel in headers");
        }
      }
      this.acceptedKeys = copy;
      return this;
    }

    /** The largest inbound hop count accepted (default {@value #DEFAULT_MAX_HOPS}); 1 or more. */
    public Builder maxHops(int maxHops) {
      if (maxHops < 1) {
        throw new IllegalArgumentException("maxHops must be 1 or more, got " + maxHops);
      }
      this.maxHops = maxHops;
      return this;
    }

    /**
     * The OpenTelemetry instance for propagation, spans and metrics. Without it the config uses the
     * global instance as it is when each call is made ({@link GlobalOpenTelemetry#isSet()}, then
     * {@link GlobalOpenTelemetry#get()}), so it may be built before the application sets the global.
     */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /**
     * Looks up the budget declared for a full method name (e.g. {@code "shop.Orders/Get"}); the lookup
     * returns null for methods without one and must be fast and thread-safe. A {@link
     * Callee#longLived long-lived} callee from the lookup exempts the method from the tier's cap, as
     * {@link #longLivedMethod} does.
     */
    public Builder methodBudgets(Function<String, @Nullable Callee> lookup) {
      this.methodBudgets = requireNonNull(lookup, "lookup");
      return this;
    }

    /** The ticker for the scopes' deadlines (default {@link Ticker#system()}; tests pass a fake one). */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * {@link SpanMode#CREATE}, {@link SpanMode#ENRICH} or {@link SpanMode#OFF}. The default is {@code
     * CREATE}, or {@code ENRICH} when OpenTelemetry's Java agent is attached with its gRPC and Armeria
     * instrumentation on (it creates the spans then; see docs/OBSERVABILITY.md).
     */
    public Builder spans(SpanMode mode) {
      this.spans = requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Whether to continue the caller's W3C trace (default true); false starts a new trace per call
     * (and drops the caller's {@code tracestate}), at an {@link Trust#EDGE} as anywhere.
     */
    public Builder continueInboundTrace(boolean continueTrace) {
      this.continueInboundTrace = continueTrace;
      return this;
    }

    /**
     * Whether to read the caller's W3C {@code baggage}: its entries become OpenTelemetry's current
     * {@code Baggage} in the handler and travel on with the server's calls. Default: true at a {@link
     * Trust#TRUSTED} server, false at an {@link Trust#EDGE}, where the entries are a stranger's
     * key-value pairs that would otherwise reach every hop of the fleet (and callees outside it).
     *
     * <pre>{@code
     * ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).acceptBaggage(true).build();  // a trusted front proxy sets it
     * }</pre>
     */
    public Builder acceptBaggage(boolean accept) {
      this.acceptBaggage = accept;
      return this;
    }

    /**
     * Declares {@code fullMethodName} long-lived (a watch, a subscription, a chat stream): its calls are
     * not cut at the tier's cap, only by the caller's deadline; called without a deadline, a call runs
     * until one side ends it or the caller cancels. Takes precedence over {@link #methodBudgets}.
     * Streaming methods that are not declared keep the tier's cap, like every other method.
     *
     * <pre>{@code
     * ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).longLivedMethod("config.Config/Watch").build();
     * }</pre>
     */
    public Builder longLivedMethod(String fullMethodName) {
      requireNonNull(fullMethodName, "fullMethodName");
      longLivedMethods.put(fullMethodName, Callee.longLived(fullMethodName, tier));
      return this;
    }

    /**
     * Declares {@code fullMethodName} long-lived with its own cap, which replaces the tier's and may be
     * above it (e.g. a 10-minute export on a 3-second tier); the caller's deadline still applies.
     */
    public Builder longLivedMethod(String fullMethodName, Duration cap) {
      requireNonNull(fullMethodName, "fullMethodName");
      longLivedMethods.put(fullMethodName, Callee.longLived(fullMethodName, tier, requireNonNull(cap, "cap")));
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(this);
    }
  }
}
