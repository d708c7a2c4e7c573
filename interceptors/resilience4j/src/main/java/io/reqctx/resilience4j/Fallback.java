package io.reqctx.resilience4j;

/**
 * Produces a degraded result when a guarded call got no fresh one: the breaker was open, the deadline
 * or retry budget could not fit another attempt, or the attempts failed. It is not called when the
 * caller's own request was cancelled (nobody is waiting). Throw to fail the call instead.
 *
 * <pre>{@code
 * Fallback<Price> stale = (reason, failure) -> {
 *   Price cached = priceCache.getIfPresent(sku);
 *   if (cached == null) throw failure instanceof Exception e ? e : new RuntimeException(failure);
 *   return cached;
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Fallback<T> {

  /** The value to return instead, for a call that stopped with {@code reason} and {@code failure}. */
  T recover(StopReason reason, Throwable failure) throws Exception;
}
