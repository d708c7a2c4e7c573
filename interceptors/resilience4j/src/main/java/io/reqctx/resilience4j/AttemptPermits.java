package io.reqctx.resilience4j;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.timelimiter.TimeLimiter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * What each attempt asks of the downstream's Resilience4j instances and tells them, in the order of
 * Resilience4j's own decorators (circuit breaker outside, bulkhead inside): permissions before it
 * starts, its outcome when it ends. All events and metrics are the instances' own.
 */
final class AttemptPermits {
  private final String downstream;
  private final @Nullable CircuitBreaker breaker;
  private final @Nullable Bulkhead bulkhead;
  private final @Nullable TimeLimiter timeLimiter;

  AttemptPermits(GuardConfig config) {
    this.downstream = config.downstream();
    this.breaker = config.circuitBreaker();
    this.bulkhead = config.bulkhead();
    this.timeLimiter = config.timeLimiter();
  }

  /** Lets attempt {@code attemptsMade + 1} start, or throws a {@link RetryStoppedException} saying which refused it. */
  void acquire(int attemptsMade) {
    if (breaker != null && !breaker.tryAcquirePermission()) {
      throw new RetryStoppedException(StopReason.CIRCUIT_OPEN, attemptsMade,
          "reqctx: attempt " + (attemptsMade + 1) + " to " + downstream + " not made: its circuit breaker '"
              + breaker.getName() + "' is " + breaker.getState() + " (failure rate "
              + breaker.getMetrics().getFailureRate() + "%)",
          CallNotPermittedException.createCallNotPermittedException(breaker));
    }
    if (bulkhead != null && !bulkhead.tryAcquirePermission()) {
      if (breaker != null) {
        breaker.releasePermission(); // a full bulkhead is this process's congestion, not the downstream's health
      }
      throw new RetryStoppedException(StopReason.BULKHEAD_FULL, attemptsMade,
          "reqctx: attempt " + (attemptsMade + 1) + " to " + downstream + " not made: its bulkhead '"
              + bulkhead.getName() + "' allows " + bulkhead.getBulkheadConfig().getMaxConcurrentCalls()
              + " concurrent calls and has no room",
          BulkheadFullException.createBulkheadFullException(bulkhead));
    }
  }

  /** The attempt answered {@code value} after {@code nanos}. */
  void onSuccess(long nanos, @Nullable Object value) {
    if (bulkhead != null) {
      bulkhead.onComplete();
    }
    if (timeLimiter != null) {
      timeLimiter.onSuccess();
    }
    if (breaker != null) {
      breaker.onResult(nanos, TimeUnit.NANOSECONDS, value); // the breaker's result predicate may call it a failure
    }
  }

  /**
   * The attempt failed with {@code failure} after {@code nanos}; {@code timedOut} says whether it ran
   * out of time, {@code calleeOwned} whether the failure says something about the downstream's health.
   * The breaker records only failures the downstream owns; the others give its permission back.
   */
  void onFailure(long nanos, Throwable failure, boolean timedOut, boolean calleeOwned) {
    if (bulkhead != null) {
      bulkhead.onComplete();
    }
    if (timeLimiter != null) {
      timeLimiter.onError(timedOut ? asTimeout(failure) : failure);
    }
    if (breaker != null) {
      if (calleeOwned) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, failure); // its record and ignore predicates apply
      } else {
        breaker.releasePermission();
      }
    }
  }

  /** The attempt ended without saying anything about the downstream (the caller left). */
  void release() {
    if (bulkhead != null) {
      bulkhead.onComplete();
    }
    if (breaker != null) {
      breaker.releasePermission();
    }
  }

  /** The form Resilience4j's {@code TimeLimiter} publishes as a timeout event. */
  private static TimeoutException asTimeout(Throwable failure) {
    if (failure instanceof TimeoutException timeout) {
      return timeout;
    }
    TimeoutException timeout = new TimeoutException(failure.getMessage());
    timeout.initCause(failure);
    return timeout;
  }
}
