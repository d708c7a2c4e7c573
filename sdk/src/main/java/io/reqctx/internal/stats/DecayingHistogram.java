package io.reqctx.internal.stats;

import java.time.Duration;

/**
 * Not API: a histogram of durations whose old observations fade out, for a high percentile of what a
 * callee did recently (its latency for hedging delays, its transit cost for reserves).
 *
 * <p>Values are kept in log-linear buckets of microseconds: exact below 16 µs, then eight buckets per
 * power of two, so a percentile is read as the upper edge of its bucket — at most 12.5 % above the
 * true value, never below it (a reserve or a delay read from it errs on the long side). Each
 * observation weighs {@code 2^(age / halfLife)} less than a fresh one (forward decay: a weight is
 * fixed when the value is recorded, relative to a landmark that moves now and then), so recording is
 * O(1) and the histogram follows a callee whose behaviour changes within a few half-lives.
 *
 * <pre>{@code
 * DecayingHistogram transit = new DecayingHistogram(Duration.ofSeconds(30));
 * transit.record(180_000, ticker.nanoTime());                    // 180 µs
 * long p99 = transit.percentileNanos(0.99, 20, ticker.nanoTime()); // -1 until 20 recent observations
 * }</pre>
 *
 * <p>Thread-safe: a lock around a few arithmetic operations.
 */
public final class DecayingHistogram {
  /** Exact buckets for 0..15 µs, then 8 per power of two up to 2^41 µs (about 25 days). */
  private static final int LINEAR = 16;
  private static final int SUB_BITS = 3;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MAX_EXPONENT = 41;
  static final int BUCKETS = LINEAR + (MAX_EXPONENT - 4 + 1) * SUB;
  /** Rescale once the newest weights reach 2^RESCALE_AFTER_HALF_LIVES, long before doubles lose precision. */
  private static final double RESCALE_AFTER_HALF_LIVES = 48;

  private final long halfLifeNanos;
  private final double[] weights = new double[BUCKETS];
  private double total;
  private long landmarkNanos;
  private boolean started;

  /**
   * @param halfLife how long until an observation counts half as much as a fresh one; positive
   */
  public DecayingHistogram(Duration halfLife) {
    long nanos = halfLife.toNanos();
    if (nanos <= 0) {
      throw new IllegalArgumentException("halfLife must be positive, got " + halfLife);
    }
    this.halfLifeNanos = nanos;
  }

  /** Records {@code valueNanos} (negative values count as 0) observed at {@code nowNanos}. */
  public synchronized void record(long valueNanos, long nowNanos) {
    if (!started) {
      landmarkNanos = nowNanos;
      started = true;
    }
    double ageOfLandmark = halfLives(nowNanos);
    if (ageOfLandmark > RESCALE_AFTER_HALF_LIVES) {
      rescale(nowNanos, ageOfLandmark);
      ageOfLandmark = 0;
    }
    double weight = Math.pow(2, Math.max(0, ageOfLandmark));
    weights[bucketOf(Math.max(0, valueNanos) / 1000)] += weight;
    total += weight;
  }

  /**
   * The value at {@code quantile} (0 exclusive to 1 inclusive) of what was recorded, the older
   * observations weighing less, in nanoseconds (the upper edge of its bucket); -1 when the recorded
   * weight, decayed to {@code nowNanos} and rounded ({@link #count}), is below {@code minimumCount}.
   */
  public synchronized long percentileNanos(double quantile, double minimumCount, long nowNanos) {
    if (!(quantile > 0 && quantile <= 1)) {
      throw new IllegalArgumentException("quantile must be above 0 and at most 1, got " + quantile);
    }
    if (!started || total <= 0) {
      return -1;
    }
    double scaleToNow = Math.pow(2, -Math.max(0, halfLives(nowNanos)));
    if (Math.round(total * scaleToNow) < minimumCount) {
      return -1;
    }
    double rank = quantile * total;
    double seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += weights[i];
      if (seen >= rank && weights[i] > 0) {
        return upperEdgeMicros(i) * 1000;
      }
    }
    return upperEdgeMicros(lastNonEmpty()) * 1000; // rounding left the rank just above the sum
  }

  /** The recorded weight decayed to {@code nowNanos}: about the number of recent observations. */
  public synchronized double count(long nowNanos) {
    return started ? total * Math.pow(2, -Math.max(0, halfLives(nowNanos))) : 0;
  }

  private double halfLives(long nowNanos) {
    return (double) (nowNanos - landmarkNanos) / halfLifeNanos;
  }

  private void rescale(long nowNanos, double halfLives) {
    double factor = Math.pow(2, -halfLives);
    total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      weights[i] *= factor;
      if (weights[i] < Double.MIN_NORMAL) {
        weights[i] = 0;
      }
      total += weights[i];
    }
    landmarkNanos = nowNanos;
  }

  private int lastNonEmpty() {
    for (int i = BUCKETS - 1; i > 0; i--) {
      if (weights[i] > 0) {
        return i;
      }
    }
    return 0;
  }

  /** The bucket of a value in microseconds. */
  static int bucketOf(long micros) {
    if (micros < LINEAR) {
      return (int) micros;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(micros);
    if (exponent > MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) (micros >>> (exponent - SUB_BITS)) & (SUB - 1);
    return LINEAR + (exponent - 4) * SUB + sub;
  }

  /** The largest value in microseconds that falls into {@code bucket}. */
  static long upperEdgeMicros(int bucket) {
    if (bucket < LINEAR) {
      return bucket;
    }
    int exponent = 4 + (bucket - LINEAR) / SUB;
    int sub = (bucket - LINEAR) % SUB;
    return ((long) (SUB + sub + 1) << (exponent - SUB_BITS)) - 1;
  }

  @Override
  public synchronized String toString() {
    return "DecayingHistogram[half-life " + Duration.ofNanos(halfLifeNanos) + ", weight " + total + "]";
  }
}
