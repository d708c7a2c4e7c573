package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** {@link DownstreamGuard}: the retry engine with the breaker as its attempt guard. */
final class DownstreamGuardImpl implements DownstreamGuard {
  private final String downstream;
  private final RetryEngine engine;
  private final CircuitBreaker breaker;
  private final Predicate<Throwable> retryOn;
  private final AttemptGuard attemptGuard;

  DownstreamGuardImpl(String downstream, RetryEngine engine, CircuitBreaker breaker, Predicate<Throwable> retryOn) {
    this.downstream = downstream;
    this.engine = engine;
    this.breaker = breaker;
    this.retryOn = retryOn;
    this.attemptGuard = new BreakerGuard();
  }

  @Override
  public String downstream() {
    return downstream;
  }

  @Override
  public CircuitBreaker circuitBreaker() {
    return breaker;
  }

  @Override
  public BudgetRetryConfig retryConfig() {
    return engine.config();
  }

  @Override
  public DownstreamGuard withRetryOn(Predicate<Throwable> retryOn) {
    return new DownstreamGuardImpl(downstream, engine, breaker, requireNonNull(retryOn, "retryOn"));
  }

  @Override
  public <T> T call(Callable<T> call) throws Exception {
    return engine.call(requireNonNull(call, "call"), retryOn, attemptGuard);
  }

  @Override
  public <T> GuardedResult<T> call(Callable<T> call, Fallback<T> fallback) throws Exception {
    requireNonNull(fallback, "fallback");
    try {
      return GuardedResult.fresh(call(call));
    } catch (Exception e) {
      StopReason reason = reasonOf(e);
      if (reason == StopReason.CANCELLED) {
        throw e;
      }
      return GuardedResult.degraded(fallback.recover(reason, e), reason, e);
    }
  }

  @Override
  public <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> call) {
    return engine.callAsync(requireNonNull(call, "call"), retryOn, attemptGuard);
  }

  @Override
  public <T> CompletionStage<GuardedResult<T>> callAsync(
      Supplier<? extends CompletionStage<T>> call, Fallback<T> fallback) {
    requireNonNull(fallback, "fallback");
    CompletableFuture<T> attempts = engine.callAsync(requireNonNull(call, "call"), retryOn, attemptGuard);
    CompletableFuture<GuardedResult<T>> result = attempts.handle((value, error) -> {
      if (error == null) {
        return GuardedResult.fresh(value);
      }
      Throwable failure = Attempts.unwrap(error);
      StopReason reason = reasonOf(failure);
      if (reason == StopReason.CANCELLED) {
        throw new java.util.concurrent.CompletionException(failure);
      }
      try {
        return GuardedResult.degraded(fallback.recover(reason, failure), reason, failure);
      } catch (Exception fallbackFailed) {
        throw new java.util.concurrent.CompletionException(fallbackFailed);
      }
    });
    result.whenComplete((v, e) -> {
      if (result.isCancelled()) {
        attempts.cancel(true);
      }
    });
    return result;
  }

  private static StopReason reasonOf(Throwable failure) {
    if (failure instanceof java.util.concurrent.CancellationException) {
      return StopReason.CANCELLED;
    }
    return RetryStoppedException.of(failure).map(RetryStoppedException::reason).orElse(StopReason.NOT_RETRYABLE);
  }

  @Override
  public String toString() {
    return "DownstreamGuard[" + downstream + ", breaker " + breaker.getState() + ", " + engine.config() + "]";
  }

  /** Asks the breaker before each attempt and tells it each attempt's outcome. */
  private final class BreakerGuard implements AttemptGuard {
    @Override
    public void acquire(int attemptsMade) {
      if (!breaker.tryAcquirePermission()) {
        throw new RetryStoppedException(StopReason.CIRCUIT_OPEN, attemptsMade,
            "reqctx: attempt " + (attemptsMade + 1) + " to " + downstream + " not made: its circuit breaker is "
                + breaker.getState() + " (failure rate " + breaker.getMetrics().getFailureRate() + "%)",
            CallNotPermittedException.createCallNotPermittedException(breaker));
      }
    }

    @Override
    public void onSuccess(long nanos) {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onFailure(long nanos, Throwable failure) {
      breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
    }

    @Override
    public void release() {
      breaker.releasePermission();
    }
  }
}
