package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The result of a guarded call that has a {@link Fallback}: a fresh value from the downstream, or a
 * degraded one from the fallback together with the reason and the failure, so a response can say that
 * it is degraded.
 *
 * <pre>{@code
 * GuardedResult<Price> price = guard.call(() -> pricing.quote(sku), (reason, failure) -> lastKnown(sku));
 * response.setPrice(price.value());
 * if (price.degraded()) {
 *   response.setDegraded(price.degradedReason().name());
 * }
 * }</pre>
 *
 * @param value the value (from the downstream, or from the fallback)
 * @param degradedReason null for a fresh value, else why the fallback was used
 * @param failure null for a fresh value, else what the fallback replaced
 */
public record GuardedResult<T>(@Nullable T value, @Nullable StopReason degradedReason, @Nullable Throwable failure) {

  public GuardedResult {
    if ((degradedReason == null) != (failure == null)) {
      throw new IllegalArgumentException("a degraded result needs both a reason and a failure");
    }
  }

  /** A value from the downstream. */
  public static <T> GuardedResult<T> fresh(@Nullable T value) {
    return new GuardedResult<>(value, null, null);
  }

  /** A value from the fallback. */
  public static <T> GuardedResult<T> degraded(@Nullable T value, StopReason reason, Throwable failure) {
    return new GuardedResult<>(value, requireNonNull(reason, "reason"), requireNonNull(failure, "failure"));
  }

  /** Whether the value came from the fallback. */
  public boolean degraded() {
    return degradedReason != null;
  }
}
