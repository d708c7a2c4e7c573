package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Everything reqctx puts around calls to one downstream: a Resilience4j {@link CircuitBreaker} asked
 * before every attempt, the budget-aware retry of {@link BudgetRetry} (each attempt time-limited by its
 * budget, see {@link BudgetTimeLimiter}), the downstream's {@link RetryBudget}, and an optional {@link
 * Fallback} whose results are marked degraded.
 *
 * <pre>{@code
 * DownstreamGuard cache = DownstreamGuard.builder("cache")
 *     .retry(BudgetRetryConfig.builder("cache").maxAttempts(3).perAttemptCap(Duration.ofMillis(200))
 *         .retryBudget(RetryBudget.ofDefaults()).build())
 *     .circuitBreaker(CircuitBreakerConfig.custom().failureRateThreshold(50).build())
 *     .build();
 *
 * GuardedResult<Item> item = cache.call(() -> cacheStub.get(key), (reason, failure) -> staleCopy(key));
 * if (item.degraded()) response.header("x-degraded", item.degradedReason().name());
 * }</pre>
 *
 * <p>Thread-safe; build one per downstream and share it. The breaker records each attempt's outcome
 * (attempt timeouts included) except attempts ended because the caller's request was cancelled.
 */
public interface DownstreamGuard {

  /** Starts a guard for {@code downstream} (the breaker's name, and the name in messages). */
  static Builder builder(String downstream) {
    return new Builder(requireNonNull(downstream, "downstream"));
  }

  /** The downstream's name. */
  String downstream();

  /** The downstream's breaker: its events and metrics are Resilience4j's. */
  CircuitBreaker circuitBreaker();

  /** The retry configuration. */
  BudgetRetryConfig retryConfig();

  /**
   * A guard sharing this one's breaker and retry budget that retries the failures {@code retryOn}
   * accepts instead (transports use it to retry by status code).
   */
  DownstreamGuard withRetryOn(Predicate<Throwable> retryOn);

  /** Runs {@code call} on this thread; failures propagate (see {@link RetryStoppedException#of}). */
  <T> T call(Callable<T> call) throws Exception;

  /** Runs {@code call} on this thread; a failure (not a cancellation) is replaced by {@code fallback}'s value. */
  <T> GuardedResult<T> call(Callable<T> call, Fallback<T> fallback) throws Exception;

  /** Starts {@code call}; see {@link BudgetRetry#callAsync}. */
  <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> call);

  /** Starts {@code call}; a failure (not a cancellation) is replaced by {@code fallback}'s value. */
  <T> CompletionStage<GuardedResult<T>> callAsync(Supplier<? extends CompletionStage<T>> call, Fallback<T> fallback);

  /** Configures a {@link DownstreamGuard}. Not thread-safe. */
  final class Builder {
    private final String downstream;
    private @Nullable BudgetRetryConfig retry;
    private @Nullable CircuitBreaker breaker;
    private CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.ofDefaults();

    private Builder(String downstream) {
      this.downstream = downstream;
    }

    /** The retry configuration (default {@code BudgetRetryConfig.builder(downstream).build()}). */
    public Builder retry(BudgetRetryConfig retry) {
      this.retry = requireNonNull(retry, "retry");
      return this;
    }

    /**
     * The breaker's configuration (default {@link CircuitBreakerConfig#ofDefaults()}). The breaker is
     * named after the downstream and measures its open-state wait on the retry configuration's ticker.
     */
    public Builder circuitBreaker(CircuitBreakerConfig config) {
      this.breakerConfig = requireNonNull(config, "config");
      this.breaker = null;
      return this;
    }

    /** A breaker made elsewhere (e.g. taken from a {@code CircuitBreakerRegistry}), used as it is. */
    public Builder circuitBreaker(CircuitBreaker breaker) {
      this.breaker = requireNonNull(breaker, "breaker");
      return this;
    }

    public DownstreamGuard build() {
      BudgetRetryConfig retryConfig = retry != null ? retry : BudgetRetryConfig.builder(downstream).build();
      CircuitBreaker cb = breaker;
      if (cb == null) {
        cb = CircuitBreaker.of(downstream,
            CircuitBreakerConfig.from(breakerConfig).clock(new TickerClock(retryConfig.ticker())).build());
      }
      return new DownstreamGuardImpl(downstream, new RetryEngine(retryConfig), cb, retryConfig.retryOn());
    }
  }
}
