package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.reqctx.BudgetPolicy;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A time limiter whose timeout comes from the request's budget, {@code min(cap, remaining - reserve)},
 * instead of a fixed duration, and which really stops the work: the call runs in a child scope whose
 * deadline is that timeout, so when it passes the scope's ctx is cancelled (calls made through reqctx's
 * client interceptors are cancelled, a blocking call's thread is interrupted, an asynchronous call's
 * future is cancelled) and the caller gets an {@link AttemptTimeoutException}. Resilience4j's {@code
 * TimeLimiter} only abandons the future.
 *
 * <pre>{@code
 * BudgetTimeLimiter limiter = BudgetTimeLimiter.of(Duration.ofMillis(200));
 * Report report = limiter.call(() -> reports.build(request));
 * CompletionStage<Report> async = limiter.callAsync(() -> reportsClient.build(request));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public interface BudgetTimeLimiter {

  /** A limiter with cap {@code cap} and the default {@link BudgetPolicy}. */
  static BudgetTimeLimiter of(Duration cap) {
    return of(cap, BudgetPolicy.defaults());
  }

  /** A limiter with cap {@code cap} whose reserve and minimum come from {@code policy}. */
  static BudgetTimeLimiter of(Duration cap, BudgetPolicy policy) {
    requireNonNull(cap, "cap");
    requireNonNull(policy, "policy");
    return new BudgetTimeLimiterImpl(
        BudgetRetryConfig.builder("time-limited call").maxAttempts(1).perAttemptCap(cap).policy(policy).build());
  }

  /**
   * Runs {@code work} on this thread within the budget.
   *
   * @throws AttemptTimeoutException when the budget ran out first
   * @throws RetryStoppedException when the budget was too small to start
   */
  <T> T call(Callable<T> work) throws Exception;

  /** Starts {@code work} within the budget; the stage fails with {@link AttemptTimeoutException} when it ends. */
  <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> work);
}
