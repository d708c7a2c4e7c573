package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A set of {@link ChaosRule}s with a seed: the configuration every chaos interceptor and decorator
 * of a process takes. Chaos is on only where an application passes a {@code Chaos} to {@link
 * ChaosServerInterceptor}, {@link ChaosClientInterceptor}, {@link ChaosService} or {@link
 * ChaosClient}; nothing a peer sends can turn it on or change it.
 *
 * <p>Which requests a rule picks, and the delays drawn for them, follow from the seed and the
 * request id ({@code x-request-id}; on a client the caller's request id, the method and the attempt):
 * the same seed and the same request ids give the same faults, whatever the order the requests
 * arrive in. Requests without an id are numbered in the order they arrive.
 *
 * <p>Every picked fault is counted in metrics (meter {@code io.reqctx.chaos}) and, when it takes
 * effect, added as an event to the current span; see docs/OBSERVABILITY.md. Close the {@code Chaos}
 * to stop the threads that start delayed handlers.
 *
 * <pre>{@code
 * Chaos chaos = Chaos.builder()
 *     .seed(42)
 *     .rule(ChaosRule.onServer("shop.Orders/*", 0.05, Fault.cancelStorm(ms(1), ms(300))))
 *     .rule(ChaosRule.onServer("*", 0.10, Fault.deadlineSkew(0.5, Duration.ZERO)))
 *     .rule(ChaosRule.onServer("*", 0.20, Fault.valueLeak(TENANT)))
 *     .openTelemetry(otel)
 *     .build();
 * ServerInterceptor interceptor = ChaosServerInterceptor.wrap(chaos, RequestCtxServerInterceptor.create(config));
 * ...
 * System.gc();
 * int leaks = chaos.checkValueLeaks(Duration.ofSeconds(1));
 * }</pre>
 */
public final class Chaos implements AutoCloseable {
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final long seed;
  private volatile List<ChaosRule> rules;
  private final Ticker ticker;
  private final Executor executor;
  private final @Nullable ExecutorService ownExecutor;
  private final ChaosTelemetry telemetry;
  private final ValueLeaks valueLeaks;
  private final AtomicLong unnamedRequests = new AtomicLong();

  private Chaos(Builder b) {
    this.seed = b.seed;
    this.rules = List.copyOf(b.rules);
    this.ticker = b.ticker;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownExecutor = null;
    } else {
      int pool = POOLS.incrementAndGet();
      AtomicInteger threads = new AtomicInteger();
      ThreadPoolExecutor own = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "reqctx-chaos-" + pool + "-" + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      this.executor = own;
      this.ownExecutor = own;
    }
    this.telemetry = new ChaosTelemetry(b.openTelemetry);
    this.valueLeaks = new ValueLeaks(telemetry, ticker);
  }

  /** Starts a configuration: no rules, seed 0, the system ticker, the global OpenTelemetry. */
  public static Builder builder() {
    return new Builder();
  }

  /** The seed. */
  public long seed() {
    return seed;
  }

  /** The rules in force, in the order they were given. */
  public List<ChaosRule> rules() {
    return rules;
  }

  /**
   * Replaces the rules, for drills that start and stop faults while the servers run (a stalled tier
   * for two seconds, then healthy again). Requests already started keep what they were given.
   */
  public void setRules(List<ChaosRule> newRules) {
    this.rules = List.copyOf(requireNonNull(newRules, "newRules"));
  }

  /**
   * The rules that pick the request {@code requestKey} ({@code x-request-id}) at {@code target} on
   * {@code side}, at most one per kind of fault: what the interceptors will do to it. For tests and
   * soaks that need to know in advance which requests get a fault.
   */
  public List<ChaosRule> rulesFor(ChaosRule.Side side, String target, String requestKey) {
    requireNonNull(side, "side");
    requireNonNull(target, "target");
    requireNonNull(requestKey, "requestKey");
    Plan plan = plan(side, target, requestKey);
    List<ChaosRule> picked = new ArrayList<>(4);
    for (Decision d : new Decision[] {plan.cancelStorm, plan.deadlineSkew, plan.latency, plan.valueLeak}) {
      if (d != null) {
        picked.add(d.rule());
      }
    }
    return picked;
  }

  /**
   * Reports every ctx and watched value ({@link Fault#valueLeak}) of requests that ended at least
   * {@code minAge} ago and is still reachable, and forgets those requests; returns how many were
   * reported. Only an object the garbage collector has had a chance to clear can be judged: run a
   * full collection first ({@code System.gc()}), and give requests that just ended a {@code minAge} to
   * let their last references go.
   */
  public int checkValueLeaks(Duration minAge) {
    requireNonNull(minAge, "minAge");
    return valueLeaks.check(minAge);
  }

  /** What the rules did so far. */
  public Stats stats() {
    Map<String, Long> injected = new TreeMap<>();
    Map<String, Long> missed = new TreeMap<>();
    for (ChaosRule.Side side : ChaosRule.Side.values()) {
      for (String fault : List.of("cancel_storm", "deadline_skew", "latency", "value_leak")) {
        String name = fault + "/" + side.name().toLowerCase(java.util.Locale.ROOT);
        long in = telemetry.count(fault, side, ChaosTelemetry.Result.INJECTED);
        long out = telemetry.count(fault, side, ChaosTelemetry.Result.MISSED);
        if (in > 0) {
          injected.put(name, in);
        }
        if (out > 0) {
          missed.put(name, out);
        }
      }
    }
    return new Stats(injected, missed, telemetry.valueLeaks(), valueLeaks.pending(), valueLeaks.droppedUnchecked());
  }

  /**
   * Counts of what the rules did.
   *
   * @param injected per {@code "<fault>/<side>"} (e.g. {@code "cancel_storm/server"}): faults that took effect
   * @param missed per {@code "<fault>/<side>"}: faults picked for a request that had already ended, or
   *     that carried no budget to skew
   * @param valueLeaks ctxs and values reported by {@link #checkValueLeaks}
   * @param valueWatchesPending ended requests whose watched objects were not checked yet
   * @param valueWatchesDropped ended requests dropped unchecked (more than 100 000 were waiting)
   */
  public record Stats(Map<String, Long> injected, Map<String, Long> missed, long valueLeaks, int valueWatchesPending,
      long valueWatchesDropped) {
    public Stats {
      injected = Map.copyOf(injected);
      missed = Map.copyOf(missed);
    }
  }

  /** Stops the threads this {@code Chaos} started; delayed handlers not started yet are not started. */
  @Override
  public void close() {
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "Chaos[seed=" + seed + ", " + rules.size() + " rules]";
  }

  // ---- for the interceptors and decorators of this package ----

  /** What the rules do to the request {@code requestKey} (null: unnamed, numbered in arrival order). */
  Plan plan(ChaosRule.Side side, String target, @Nullable String requestKey) {
    List<ChaosRule> current = rules;
    if (current.isEmpty()) {
      return Plan.NONE;
    }
    String key = requestKey != null ? requestKey : "#" + unnamedRequests.incrementAndGet();
    long keyHash = Decisions.hash(key);
    Decision cancel = null;
    Decision skew = null;
    Decision latency = null;
    Decision leak = null;
    for (int i = 0; i < current.size(); i++) {
      ChaosRule rule = current.get(i);
      if (rule.side() != side || !rule.matches(target) || !Decisions.picks(seed, i, keyHash, rule.fraction())) {
        continue;
      }
      Fault fault = rule.fault();
      if (fault instanceof Fault.CancelStorm c && cancel == null) {
        cancel = new Decision(rule, Decisions.delay(seed, i, keyHash, c.minDelay(), c.maxDelay()));
      } else if (fault instanceof Fault.DeadlineSkew && skew == null) {
        skew = new Decision(rule, Duration.ZERO);
      } else if (fault instanceof Fault.Latency l && latency == null) {
        latency = new Decision(rule, Decisions.delay(seed, i, keyHash, l.min(), l.max()));
      } else if (fault instanceof Fault.ValueLeak && leak == null) {
        leak = new Decision(rule, Duration.ZERO);
      }
    }
    return cancel == null && skew == null && latency == null && leak == null
        ? Plan.NONE
        : new Plan(cancel, skew, latency, leak);
  }

  Ticker ticker() {
    return ticker;
  }

  Executor executor() {
    return executor;
  }

  ChaosTelemetry telemetry() {
    return telemetry;
  }

  ValueLeaks valueLeaks() {
    return valueLeaks;
  }

  /** Configures a {@link Chaos}. Not thread-safe. */
  public static final class Builder {
    private long seed;
    private final List<ChaosRule> rules = new ArrayList<>();
    private Ticker ticker = Ticker.system();
    private @Nullable Executor executor;
    private @Nullable OpenTelemetry openTelemetry;

    private Builder() {}

    /** The seed that, with each request's id, picks the requests and draws the delays (default 0). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Adds a rule; for each kind of fault the first rule that picks a request applies to it. */
    public Builder rule(ChaosRule rule) {
      rules.add(requireNonNull(rule, "rule"));
      return this;
    }

    /** Adds rules, in order. */
    public Builder rules(List<ChaosRule> rules) {
      rules.forEach(this::rule);
      return this;
    }

    /** The ticker delays and cancel storms wait on (default {@link Ticker#system()}; tests pass a fake one). */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Where a handler delayed by {@link Fault#latency} starts (default: a pool of daemon threads owned by
     * the {@code Chaos}, closed with it). A blocking handler runs its request there.
     */
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    /** Where metrics go (default: the global OpenTelemetry, resolved at each use, no-op until it is set). */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    public Chaos build() {
      return new Chaos(this);
    }
  }
}
