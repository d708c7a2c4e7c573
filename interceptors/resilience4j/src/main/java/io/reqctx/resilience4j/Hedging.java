package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link DownstreamGuard} hedges idempotent calls: the first attempt at once; while no attempt
 * has answered, another one after the hedging delay, up to {@link #maxAttempts()} in all — the scheme
 * of gRPC's {@code hedgingPolicy}, Finagle's backup requests and "The Tail at Scale". Unlike those, a
 * hedge is sent only when the request's remaining budget, after the reserve, still fits a useful
 * attempt ({@link Builder#minimumBudget}), and only with a token from the guard's {@link RetryBudget},
 * so hedges never outlive the deadline and never add more load than retries may.
 *
 * <ul>
 *   <li>The first successful answer completes the call; every other attempt is cancelled at once (its
 *       ctx, and so its gRPC call or HTTP request: the callee sees the cancel).
 *   <li>A failure that {@link Builder#nonFatal} accepts, or the timeout of one attempt, lets the other
 *       attempts go on and sends the next hedge at once, as gRPC does; any other failure ends the call
 *       with it and cancels the rest.
 *   <li>The delay is fixed, or a percentile of the downstream's recent latency (its successful
 *       attempts, older ones fading with a half-life), bounded, with a fixed delay until enough
 *       latencies are known.
 *   <li>Only calls the guard knows to be idempotent are hedged ({@link
 *       DownstreamGuard.Builder#idempotent}, or per method in the transports); only asynchronous calls
 *       ({@code callAsync}, the gRPC interceptor, the Armeria decorator), since a blocking attempt holds
 *       its thread; only where the {@link AmplificationRule} lets the hop repeat calls. A hedged call
 *       does not also retry: its {@code Retry} is not used.
 * </ul>
 *
 * <pre>{@code
 * DownstreamGuard cache = DownstreamGuard.builder("cache")
 *     .hedging(Hedging.builder()
 *         .maxAttempts(2)
 *         .delayAtPercentile(95, Duration.ofMillis(20))          // p95 of recent latency; 20 ms until known
 *         .nonFatal(ResilienceClientInterceptor.statusCodes(Status.Code.UNAVAILABLE))
 *         .build())
 *     .idempotent(true)
 *     .retryBudget(RetryBudget.ofDefaults())                   // hedges spend its tokens
 *     .amplificationRule(AmplificationRule.onlyAtHop(2))       // the hop that calls the cache
 *     .build();
 * }</pre>
 */
public final class Hedging {
  private final int maxAttempts;
  private final Duration delay;
  private final double percentile;
  private final Duration minDelay;
  private final Duration maxDelay;
  private final Duration latencyHalfLife;
  private final int minimumSamples;
  private final Predicate<Throwable> nonFatal;
  private final @Nullable Duration minimumBudget;

  private Hedging(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.delay = b.delay;
    this.percentile = b.percentile;
    this.minDelay = b.minDelay;
    this.maxDelay = b.maxDelay;
    this.latencyHalfLife = b.latencyHalfLife;
    this.minimumSamples = b.minimumSamples;
    this.nonFatal = b.nonFatal;
    this.minimumBudget = b.minimumBudget;
  }

  /** {@code maxAttempts} attempts in all, one every {@code delay}, no failure non-fatal. */
  public static Hedging fixedDelay(int maxAttempts, Duration delay) {
    return builder().maxAttempts(maxAttempts).delay(delay).build();
  }

  /** A builder: 2 attempts, a fixed delay of 50 ms. */
  public static Builder builder() {
    return new Builder();
  }

  /** Attempts in all, the first included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The fixed delay, or with a percentile delay the delay used until enough latencies are known. */
  public Duration delay() {
    return delay;
  }

  /** The percentile of recent latency (above 0, below 100) the delay follows; empty for a fixed delay. */
  public Optional<Double> percentile() {
    return percentile > 0 ? Optional.of(percentile) : Optional.empty();
  }

  /** The shortest delay a percentile may give. */
  public Duration minDelay() {
    return minDelay;
  }

  /** The longest delay a percentile may give. */
  public Duration maxDelay() {
    return maxDelay;
  }

  /** How long until a latency counts half as much as a fresh one. */
  public Duration latencyHalfLife() {
    return latencyHalfLife;
  }

  /** How many recent latencies the percentile needs before it is used. */
  public int minimumSamples() {
    return minimumSamples;
  }

  /** Which failures let the other attempts go on (besides the timeout of one attempt). */
  public Predicate<Throwable> nonFatal() {
    return nonFatal;
  }

  /** The least budget a hedge must be able to get to be sent; empty: the guard's minimum retry budget. */
  public Optional<Duration> minimumBudget() {
    return Optional.ofNullable(minimumBudget);
  }

  @Override
  public String toString() {
    return "Hedging[" + maxAttempts + " attempts, delay "
        + (percentile > 0 ? "p" + percentile + " of recent latency in [" + minDelay.toMillis() + "ms, "
            + maxDelay.toMillis() + "ms], " + delay.toMillis() + "ms until " + minimumSamples + " are known"
            : delay.toMillis() + "ms")
        + (minimumBudget == null ? "" : ", a hedge needs " + minimumBudget.toMillis() + "ms") + "]";
  }

  /** Configures a {@link Hedging}. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 2;
    private Duration delay = Duration.ofMillis(50);
    private double percentile;
    private Duration minDelay = Duration.ofMillis(1);
    private Duration maxDelay = Duration.ofSeconds(1);
    private Duration latencyHalfLife = Duration.ofSeconds(30);
    private int minimumSamples = 20;
    private Predicate<Throwable> nonFatal = failure -> false;
    private @Nullable Duration minimumBudget;

    private Builder() {}

    /** Attempts in all, the first included (default 2): 2 to 5, gRPC's limit. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 2 || maxAttempts > 5) {
        throw new IllegalArgumentException("hedging maxAttempts must be 2 to 5 (gRPC clients send at most 5), got "
            + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** A fixed delay between two attempts (default 50 ms); zero or more. Replaces a percentile delay. */
    public Builder delay(Duration delay) {
      this.delay = nonNegative(delay, "delay");
      this.percentile = 0;
      return this;
    }

    /**
     * The delay is the {@code percentile} (e.g. 95) of the downstream's recent latency, bounded by
     * {@link #delayBounds}; until {@link #minimumSamples} latencies are known it is {@code initialDelay}.
     */
    public Builder delayAtPercentile(double percentile, Duration initialDelay) {
      if (!(percentile > 0 && percentile < 100)) {
        throw new IllegalArgumentException("hedging percentile must be above 0 and below 100, got " + percentile);
      }
      this.delay = nonNegative(initialDelay, "initialDelay");
      this.percentile = percentile;
      return this;
    }

    /** The bounds of a percentile delay (default 1 ms to 1 s). */
    public Builder delayBounds(Duration min, Duration max) {
      nonNegative(min, "min");
      nonNegative(max, "max");
      if (min.compareTo(max) > 0) {
        throw new IllegalArgumentException("hedging delay bounds: min " + min + " is above max " + max);
      }
      this.minDelay = min;
      this.maxDelay = max;
      return this;
    }

    /** How fast old latencies fade (default 30 s); positive. */
    public Builder latencyHalfLife(Duration halfLife) {
      requireNonNull(halfLife, "halfLife");
      if (halfLife.isNegative() || halfLife.isZero()) {
        throw new IllegalArgumentException("latencyHalfLife must be positive, got " + halfLife);
      }
      this.latencyHalfLife = halfLife;
      return this;
    }

    /** Recent latencies needed before the percentile is used (default 20); 1 or more. */
    public Builder minimumSamples(int samples) {
      if (samples < 1) {
        throw new IllegalArgumentException("minimumSamples must be 1 or more, got " + samples);
      }
      this.minimumSamples = samples;
      return this;
    }

    /**
     * Failures after which the other attempts go on and the next hedge is sent at once (default none:
     * only the timeout of one attempt). gRPC's {@code nonFatalStatusCodes}: see {@code
     * ResilienceClientInterceptor.statusCodes(...)}.
     */
    public Builder nonFatal(Predicate<Throwable> nonFatal) {
      this.nonFatal = requireNonNull(nonFatal, "nonFatal");
      return this;
    }

    /**
     * The least budget (after the reserve) a hedge must be able to get to be sent (default: the guard's
     * minimum retry budget — its {@code minimumRetryBudget}, else its {@code TimeLimiter}'s timeout,
     * else the policy's minimum viable budget); zero or more.
     */
    public Builder minimumBudget(Duration minimum) {
      this.minimumBudget = nonNegative(minimum, "minimum");
      return this;
    }

    public Hedging build() {
      return new Hedging(this);
    }

    private static Duration nonNegative(Duration d, String name) {
      requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must be zero or more, got " + d);
      }
      return d;
    }
  }
}
