package io.reqctx.resilience4j;

import io.reqctx.internal.stats.DecayingHistogram;
import org.jspecify.annotations.Nullable;

/**
 * The hedging delay of one guard: fixed, or a percentile of the downstream's recent latency (the
 * successful attempts of every call through the guard), bounded. Thread-safe.
 */
final class HedgeDelay {
  private final Hedging hedging;
  private final @Nullable DecayingHistogram latencies;

  HedgeDelay(Hedging hedging) {
    this.hedging = hedging;
    this.latencies = hedging.percentile().isPresent() ? new DecayingHistogram(hedging.latencyHalfLife()) : null;
  }

  Hedging hedging() {
    return hedging;
  }

  /** The delay before the next hedge, at {@code nowNanos} on the guard's ticker. */
  long delayNanos(long nowNanos) {
    DecayingHistogram recent = latencies;
    if (recent == null) {
      return hedging.delay().toNanos();
    }
    long observed = recent.percentileNanos(hedging.percentile().orElseThrow() / 100, hedging.minimumSamples(), nowNanos);
    if (observed < 0) {
      return hedging.delay().toNanos();
    }
    return Math.max(hedging.minDelay().toNanos(), Math.min(hedging.maxDelay().toNanos(), observed));
  }

  /** A successful attempt took {@code nanos}, ending at {@code nowNanos}. */
  void recordLatency(long nanos, long nowNanos) {
    DecayingHistogram recent = latencies;
    if (recent != null) {
      recent.record(nanos, nowNanos);
    }
  }

  @Override
  public String toString() {
    return hedging + (latencies == null ? "" : " " + latencies);
  }
}
