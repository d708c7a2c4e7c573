package io.reqctx.resilience4j;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.Ticker;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link DownstreamGuard} puts around calls to one downstream: the user's Resilience4j
 * instances, and reqctx's budget settings. Immutable (the instances and the hedging delay's recent
 * latencies have state of their own).
 *
 * @param retryOn which failures the transport lets the {@link #retry} retry (every one, unless a
 *     transport narrows it); an {@link AttemptTimeoutException} always may be
 * @param timeoutOn which failures are timeouts of the attempt besides an {@link AttemptTimeoutException}
 * @param hedging how idempotent calls are hedged, or null
 * @param idempotent whether the calls through the guard may be repeated without harm (hedging needs it)
 */
record GuardConfig(
    String downstream,
    @Nullable Retry retry,
    @Nullable TimeLimiter timeLimiter,
    @Nullable CircuitBreaker circuitBreaker,
    @Nullable Bulkhead bulkhead,
    BudgetPolicy policy,
    @Nullable Callee callee,
    AmplificationRule amplificationRule,
    @Nullable RetryBudget retryBudget,
    @Nullable Duration minimumRetryBudget,
    Ticker ticker,
    Executor executor,
    Predicate<Throwable> retryOn,
    Predicate<Throwable> timeoutOn,
    @Nullable HedgeDelay hedging,
    boolean idempotent,
    HedgeTelemetry telemetry) {

  /** The cap of each attempt's budget: the time limiter's timeout, or null (the remaining budget alone decides). */
  @Nullable Duration perAttemptCap() {
    return timeLimiter == null ? null : timeLimiter.getTimeLimiterConfig().getTimeoutDuration();
  }

  /**
   * The least budget a retry must be able to get, after its backoff, to be started: the configured
   * value, else the per-attempt cap (a retry with less time than the attempt that just failed is likely
   * to fail the same way), else the policy's minimum viable budget.
   */
  Duration minimumRetryBudgetOrDefault() {
    if (minimumRetryBudget != null) {
      return minimumRetryBudget;
    }
    Duration cap = perAttemptCap();
    return cap != null ? cap : policy.minimumViableBudget();
  }

  /** The least budget a hedge must be able to get to be sent: the hedging's own, else as for a retry. */
  Duration minimumHedgeBudget() {
    return hedging == null ? minimumRetryBudgetOrDefault()
        : hedging.hedging().minimumBudget().orElseGet(this::minimumRetryBudgetOrDefault);
  }

  GuardConfig withRetryOn(Predicate<Throwable> retryOn) {
    return new GuardConfig(downstream, retry, timeLimiter, circuitBreaker, bulkhead, policy, callee,
        amplificationRule, retryBudget, minimumRetryBudget, ticker, executor, retryOn, timeoutOn, hedging, idempotent,
        telemetry);
  }

  GuardConfig withTimeoutOn(Predicate<Throwable> timeoutOn) {
    return new GuardConfig(downstream, retry, timeLimiter, circuitBreaker, bulkhead, policy, callee,
        amplificationRule, retryBudget, minimumRetryBudget, ticker, executor, retryOn, timeoutOn, hedging, idempotent,
        telemetry);
  }

  /** With {@code hedging} (its recent latencies start empty), and a retry budget for its hedges if there was none. */
  GuardConfig withHedging(@Nullable Hedging hedging) {
    return new GuardConfig(downstream, retry, timeLimiter, circuitBreaker, bulkhead, policy, callee,
        amplificationRule, hedging != null ? retryBudgetOrDefault(retryBudget, ticker) : retryBudget,
        minimumRetryBudget, ticker, executor, retryOn, timeoutOn, hedging == null ? null : new HedgeDelay(hedging),
        idempotent, telemetry);
  }

  GuardConfig withIdempotent(boolean idempotent) {
    return new GuardConfig(downstream, retry, timeLimiter, circuitBreaker, bulkhead, policy, callee,
        amplificationRule, retryBudget, minimumRetryBudget, ticker, executor, retryOn, timeoutOn, hedging, idempotent,
        telemetry);
  }

  /** Hedges always spend retry tokens: a guard that hedges without a retry budget of its own gets the defaults. */
  static RetryBudget retryBudgetOrDefault(@Nullable RetryBudget retryBudget, Ticker ticker) {
    return retryBudget != null ? retryBudget : RetryBudget.builder().ticker(ticker).build();
  }

  @Override
  public String toString() {
    Duration cap = perAttemptCap();
    return downstream + ", "
        + (retry == null ? "1 attempt" : "Retry '" + retry.getName() + "' " + retry.getRetryConfig().getMaxAttempts()
            + " attempts")
        + ", per-attempt cap " + (cap == null ? "none" : cap.toMillis() + "ms")
        + (circuitBreaker == null ? "" : ", breaker '" + circuitBreaker.getName() + "' " + circuitBreaker.getState())
        + (bulkhead == null ? "" : ", bulkhead '" + bulkhead.getName() + "'")
        + ", " + amplificationRule + (retryBudget == null ? "" : ", " + retryBudget)
        + (hedging == null ? "" : ", " + hedging.hedging() + (idempotent ? "" : " (not idempotent: not hedged)"))
        + (idempotent && hedging == null ? ", idempotent" : "");
  }
}
