package io.reqctx.transport;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.Tier;
import io.reqctx.internal.telemetry.ConfiguredOpenTelemetry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * How a client (a gRPC channel, an HTTP client) budgets and decorates its outgoing calls: the callee's
 * tier, per-method overrides, whether the peer may see sensitive keys, and whether it is a service of
 * the fleet at all ({@link Egress}). Immutable and thread-safe.
 *
 * <pre>{@code
 * ClientConfig toCache = ClientConfig.builder(Tier.CACHE)
 *     .trusted(true)                                          // internal peer: sensitive keys may go
 *     .methodCallees(method -> method.equals("cache.Cache/Scan")
 *         ? Callee.of(method, Tier.CACHE, Duration.ofMillis(300)) : null)
 *     .build();
 * ClientConfig toPartner = ClientConfig.builder(Tier.SERVICE)
 *     .egress(Egress.EXTERNAL_W3C)                            // outside the fleet: W3C headers only
 *     .build();
 * }</pre>
 */
public final class ClientConfig {
  private final Tier calleeTier;
  private final boolean trusted;
  private final BudgetPolicy policy;
  private final OpenTelemetry openTelemetry;
  private final Function<String, @Nullable Callee> methodCallees;
  private final SpanMode spans;
  private final Map<String, Callee> longLivedMethods;
  private final boolean tierCapOutsideRequests;
  private final Egress egress;

  private ClientConfig(Builder b) {
    this.calleeTier = b.calleeTier;
    this.trusted = b.trusted;
    this.policy = b.policy;
    this.openTelemetry = ConfiguredOpenTelemetry.of(b.openTelemetry);
    this.methodCallees = b.methodCallees;
    this.spans = b.spans;
    this.longLivedMethods = Map.copyOf(b.longLivedMethods);
    this.tierCapOutsideRequests = b.tierCapOutsideRequests;
    this.egress = b.egress;
  }

  /** Starts a configuration for calls to peers of tier {@code calleeTier}. */
  public static Builder builder(Tier calleeTier) {
    return new Builder(requireNonNull(calleeTier, "calleeTier"));
  }

  /** The tier of the peer, for methods without an override. */
  public Tier calleeTier() {
    return calleeTier;
  }

  /** Whether sensitive keys may be sent to the peer. */
  public boolean trusted() {
    return trusted;
  }

  /** The budget arithmetic. */
  public BudgetPolicy policy() {
    return policy;
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
   * The callee for {@code fullMethodName}: a {@linkplain Builder#longLivedMethod long-lived method},
   * else the per-method override, else the channel's tier.
   */
  public Callee callee(String fullMethodName) {
    requireNonNull(fullMethodName, "fullMethodName");
    Callee longLived = longLivedMethods.get(fullMethodName);
    if (longLived != null) {
      return longLived;
    }
    Callee override = methodCallees.apply(fullMethodName);
    return override != null ? override : Callee.of(fullMethodName, calleeTier);
  }

  /**
   * Whether a call made outside any request gets the callee's tier cap as its deadline (default false:
   * it gets the callee's method budget when one is declared, and no deadline otherwise).
   */
  public boolean tierCapOutsideRequests() {
    return tierCapOutsideRequests;
  }

  /** What reqctx does with spans. */
  public SpanMode spans() {
    return spans;
  }

  /** Which headers the callee gets: all of reqctx's ({@link Egress#FLEET}, the default) or only the W3C ones, or none. */
  public Egress egress() {
    return egress;
  }

  /** Configures a {@link ClientConfig}. Not thread-safe. */
  public static final class Builder {
    private final Tier calleeTier;
    private boolean trusted;
    private BudgetPolicy policy = BudgetPolicy.defaults();
    private @Nullable OpenTelemetry openTelemetry;
    private Function<String, @Nullable Callee> methodCallees = method -> null;
    private SpanMode spans = DefaultSpanMode.get();
    private final Map<String, Callee> longLivedMethods = new HashMap<>();
    private boolean tierCapOutsideRequests;
    private Egress egress = Egress.FLEET;

    private Builder(Tier calleeTier) {
      this.calleeTier = calleeTier;
    }

    /**
     * Whether the peer may receive sensitive keys (default false: sensitive keys go only to peers
     * explicitly marked trusted). Only for a callee of the fleet: {@link #build} refuses it with an
     * external {@link #egress}.
     */
    public Builder trusted(boolean trusted) {
      this.trusted = trusted;
      return this;
    }

    /** The budget arithmetic (default {@link BudgetPolicy#defaults()}). */
    public Builder policy(BudgetPolicy policy) {
      this.policy = requireNonNull(policy, "policy");
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
     * Overrides the callee (tier, method budget) per full method name; the lookup returns null to keep
     * the channel's tier and must be fast and thread-safe.
     */
    public Builder methodCallees(Function<String, @Nullable Callee> lookup) {
      this.methodCallees = requireNonNull(lookup, "lookup");
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
     * Declares {@code fullMethodName} long-lived (a watch, a subscription, a chat stream): its calls get
     * no deadline from the callee's tier cap, only the caller's remaining time (less the reserve), and
     * none at all from a caller without a deadline. Takes precedence over {@link #methodCallees}.
     *
     * <pre>{@code
     * ClientConfig.builder(Tier.SERVICE).longLivedMethod("config.Config/Watch").build();
     * }</pre>
     */
    public Builder longLivedMethod(String fullMethodName) {
      requireNonNull(fullMethodName, "fullMethodName");
      longLivedMethods.put(fullMethodName, Callee.longLived(fullMethodName, calleeTier));
      return this;
    }

    /** Declares {@code fullMethodName} long-lived with its own cap, which replaces the tier's and may be above it. */
    public Builder longLivedMethod(String fullMethodName, Duration cap) {
      requireNonNull(fullMethodName, "fullMethodName");
      longLivedMethods.put(fullMethodName, Callee.longLived(fullMethodName, calleeTier, requireNonNull(cap, "cap")));
      return this;
    }

    /**
     * Whether calls made outside any request (no current {@link io.reqctx.RequestCtx}: a start-up job, a
     * background watch) get the callee's tier cap as their deadline. Default false: such a call gets the
     * callee's method budget when one is declared and no deadline otherwise, as a plain gRPC or HTTP
     * call would; set a deadline on the call itself, or set this to true, to bound it.
     */
    public Builder tierCapOutsideRequests(boolean capped) {
      this.tierCapOutsideRequests = capped;
      return this;
    }

    /**
     * Which headers the callee gets (default {@link Egress#FLEET}): for a callee outside the fleet,
     * {@link Egress#EXTERNAL_W3C} sends only {@code traceparent}, {@code tracestate} and {@code
     * baggage}, {@link Egress#EXTERNAL_NONE} none of them; neither sends a {@code reqctx-*} header,
     * {@code x-request-id} or a propagated key. The budget still bounds the call locally.
     */
    public Builder egress(Egress egress) {
      this.egress = requireNonNull(egress, "egress");
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalStateException for {@code trusted(true)} with an external {@link #egress}: a
     *     callee outside the fleet never gets propagated keys, sensitive or not
     */
    public ClientConfig build() {
      if (trusted && egress != Egress.FLEET) {
        throw new IllegalStateException(
            "ClientConfig for tier " + calleeTier.name() + ": trusted(true) lets sensitive keys go to the callee, but egress("
                + egress + ") sends no keys at all to a callee outside the fleet; drop trusted(true), or use"
                + " egress(Egress.FLEET) if the callee is a reqctx service");
      }
      return new ClientConfig(this);
    }
  }
}
