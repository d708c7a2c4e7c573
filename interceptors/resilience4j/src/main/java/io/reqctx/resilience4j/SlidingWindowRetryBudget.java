package io.reqctx.resilience4j;

import io.reqctx.Ticker;

/**
 * {@link RetryBudget} over a window of ten buckets. A lock, not atomics: the counts of one window must
 * be read and updated together for the bound to hold, and the critical section is a few additions.
 */
final class SlidingWindowRetryBudget implements RetryBudget {
  private static final int BUCKETS = 10;

  private final double ratio;
  private final double floor;
  private final Ticker ticker;
  private final long bucketNanos;
  private final long[] epochs = new long[BUCKETS];
  private final long[] requests = new long[BUCKETS];
  private final long[] retries = new long[BUCKETS];

  SlidingWindowRetryBudget(Builder b) {
    this.ratio = b.ratio;
    this.floor = b.minRetriesPerSecond * (b.window.toNanos() / 1e9);
    this.ticker = b.ticker;
    this.bucketNanos = Math.max(1, b.window.toNanos() / BUCKETS);
    java.util.Arrays.fill(epochs, Long.MIN_VALUE);
  }

  @Override
  public synchronized void recordRequest() {
    requests[bucket()]++;
  }

  @Override
  public synchronized boolean tryAcquireRetry() {
    int current = bucket();
    long allowed = (long) Math.floor(ratio * sum(requests) + floor);
    if (sum(retries) >= allowed) {
      return false;
    }
    retries[current]++;
    return true;
  }

  @Override
  public synchronized long requestsInWindow() {
    bucket();
    return sum(requests);
  }

  @Override
  public synchronized long retriesInWindow() {
    bucket();
    return sum(retries);
  }

  /** The index of the current bucket, after clearing the buckets that slid out of the window. */
  private int bucket() {
    long epoch = Math.floorDiv(ticker.nanoTime(), bucketNanos);
    for (int i = 0; i < BUCKETS; i++) {
      if (epochs[i] != Long.MIN_VALUE && epoch - epochs[i] >= BUCKETS) {
        epochs[i] = Long.MIN_VALUE;
        requests[i] = 0;
        retries[i] = 0;
      }
    }
    int index = (int) Math.floorMod(epoch, (long) BUCKETS);
    if (epochs[index] != epoch) {
      epochs[index] = epoch;
      requests[index] = 0;
      retries[index] = 0;
    }
    return index;
  }

  private static long sum(long[] counts) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    return total;
  }

  @Override
  public synchronized String toString() {
    return "RetryBudget[ratio " + ratio + ", floor " + floor + " per window, " + sum(requests) + " requests, "
        + sum(retries) + " retries]";
  }
}
