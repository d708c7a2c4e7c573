package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.reqctx.Ticker;
import java.time.Duration;

/**
 * Limits the retries sent to one downstream to a ratio of its recent requests plus a small floor per
 * second: over any window, {@code retries <= ratio * requests + minRetriesPerSecond * windowSeconds}.
 * This is the scheme of Finagle's {@code RetryBudget} and Envoy's retry budgets: when a downstream
 * fails for everyone, retries add at most {@code ratio} of extra load instead of multiplying it, while
 * a quiet client can still retry a few calls. Thread-safe; share one instance per downstream.
 *
 * <p>Resilience4j 2.4.0 has no retry budget. A {@link DownstreamGuard} counts each call as a request
 * and takes a token as the last check of the Retry's budget-aware interval function, so a token is
 * spent only on a retry that is made, and a refusal shows as the Retry's error event.
 *
 * <pre>{@code
 * RetryBudget toCache = RetryBudget.builder()
 *     .ratio(0.2)                        // retries may add 20 % to the load
 *     .minRetriesPerSecond(10)
 *     .window(Duration.ofSeconds(10))
 *     .build();
 * DownstreamGuard cache = DownstreamGuard.builder("cache").retry(retries).retryBudget(toCache).build();
 * }</pre>
 */
public interface RetryBudget {

  /** Finagle's defaults: ratio 0.2, 10 retries per second, 10 s window, system ticker. */
  static RetryBudget ofDefaults() {
    return builder().build();
  }

  /** A builder starting from {@link #ofDefaults()}. */
  static Builder builder() {
    return new Builder();
  }

  /** Counts one original request (not a retry); retry loops call it once per call. */
  void recordRequest();

  /** Takes one retry from the budget; false (and nothing taken) when the budget is spent. */
  boolean tryAcquireRetry();

  /** Requests counted in the current window. */
  long requestsInWindow();

  /** Retries taken in the current window. */
  long retriesInWindow();

  /** Configures a {@link RetryBudget}. Not thread-safe. */
  final class Builder {
    double ratio = 0.2;
    int minRetriesPerSecond = 10;
    Duration window = Duration.ofSeconds(10);
    Ticker ticker = Ticker.system();

    private Builder() {}

    /** Retries allowed per original request in the window (default 0.2), 0 to 1000. */
    public Builder ratio(double ratio) {
      if (!(ratio >= 0 && ratio <= 1000)) {
        throw new IllegalArgumentException("ratio must be between 0 and 1000, got " + ratio);
      }
      this.ratio = ratio;
      return this;
    }

    /** Retries allowed per second of the window whatever the traffic (default 10), zero or more. */
    public Builder minRetriesPerSecond(int minRetriesPerSecond) {
      if (minRetriesPerSecond < 0) {
        throw new IllegalArgumentException("minRetriesPerSecond must be zero or more, got " + minRetriesPerSecond);
      }
      this.minRetriesPerSecond = minRetriesPerSecond;
      return this;
    }

    /** The sliding window (default 10 s), at least 10 ms; it slides in tenths. */
    public Builder window(Duration window) {
      requireNonNull(window, "window");
      if (window.compareTo(Duration.ofMillis(10)) < 0) {
        throw new IllegalArgumentException("window must be at least 10ms, got " + window);
      }
      this.window = window;
      return this;
    }

    /** The time source (default {@link Ticker#system()}; tests pass a fake one). */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    public RetryBudget build() {
      return new SlidingWindowRetryBudget(this);
    }
  }
}
