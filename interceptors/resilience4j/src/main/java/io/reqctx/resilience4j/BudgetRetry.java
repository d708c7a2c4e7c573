package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Retries a call inside the request's deadline budget. Each attempt runs in a child scope {@code
 * CancellableCtx.childOf(ctx.withOutgoingAttempt(n), attemptBudget)} made current, so
 *
 * <ul>
 *   <li>the attempt number travels downstream in {@code reqctx-attempt} (reqctx's client interceptors
 *       write the current ctx's attempt);
 *   <li>the attempt's budget is {@code min(per-attempt cap, remaining - reserve)} and the call's own
 *       deadline follows from it;
 *   <li>when that budget ends the attempt's ctx is cancelled: the underlying call is cancelled (not only
 *       a future abandoned), and the failure becomes an {@link AttemptTimeoutException}.
 * </ul>
 *
 * <p>An attempt, or a backoff, that cannot finish inside the remaining budget is not started; the
 * {@link AmplificationRule} keeps lower layers from multiplying retries; the optional {@link
 * RetryBudget} caps retries to a ratio of the downstream's traffic. When the loop gives up, the last
 * failure is thrown unchanged, carrying a {@link RetryStoppedException} note with the reason.
 *
 * <p>Why not Resilience4j's {@code Retry}: its blocking context sleeps by itself, and its
 * asynchronous context decides on a retry (and publishes the retry event) before a caller can check
 * that the backoff and the next attempt still fit in the deadline, so budget checks could not veto a
 * retry without lying in its metrics. This loop reuses Resilience4j's {@link
 * io.github.resilience4j.core.IntervalFunction} for backoffs and its {@code CircuitBreaker} (through
 * {@link DownstreamGuard}) for health, events and metrics.
 *
 * <pre>{@code
 * BudgetRetry retry = BudgetRetry.of(BudgetRetryConfig.builder("pricing")
 *     .maxAttempts(3).perAttemptCap(Duration.ofMillis(300)).build());
 * Price price = retry.call(() -> pricingStub.quote(request));          // blocking
 * CompletionStage<Price> async = retry.callAsync(() -> pricingClient.quote(request));
 * }</pre>
 *
 * <p>Thread-safe; build one per downstream.
 */
public interface BudgetRetry {

  /** A retry applying {@code config}. */
  static BudgetRetry of(BudgetRetryConfig config) {
    return new BudgetRetryImpl(requireNonNull(config, "config"));
  }

  /** The configuration. */
  BudgetRetryConfig config();

  /** Runs {@code attempt} on this thread until it succeeds or the loop gives up. */
  <T> T call(Callable<T> attempt) throws Exception;

  /**
   * Starts {@code attempt} (with the attempt's ctx current) until a stage it returns succeeds or the loop
   * gives up. Cancelling the returned future stops the running attempt.
   */
  <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> attempt);
}
