package io.reqctx.resilience4j;

/**
 * Why a guarded call stopped without a fresh result: why a retry loop gave up, or why a call was not
 * attempted at all. A {@link GuardedResult} that came from a {@link Fallback} carries it.
 *
 * <pre>{@code
 * GuardedResult<Price> price = guard.call(() -> pricing.quote(sku), (reason, failure) -> lastKnown(sku));
 * if (price.degraded() && price.degradedReason() == StopReason.CIRCUIT_OPEN) { ... }
 * }</pre>
 */
public enum StopReason {
  /** The failure is not one the retry configuration retries. */
  NOT_RETRYABLE,
  /** Every allowed attempt was made. */
  ATTEMPTS_EXHAUSTED,
  /** The remaining deadline budget cannot fit another attempt (or the first one). */
  DEADLINE_BUDGET,
  /** The downstream's {@link RetryBudget} refused another retry. */
  RETRY_BUDGET,
  /** The {@link AmplificationRule} forbids retries at this hop. */
  AMPLIFICATION_RULE,
  /** The downstream's circuit breaker did not permit the attempt. */
  CIRCUIT_OPEN,
  /** The downstream's bulkhead had no room for the attempt. */
  BULKHEAD_FULL,
  /** The caller's request was cancelled (it left, or its own deadline passed). */
  CANCELLED
}
