package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.jspecify.annotations.Nullable;

/**
 * Makes a Resilience4j {@link RetryConfig} budget-aware, so that a {@link Retry} built from it (by
 * {@code Retry.of}, or by a {@code RetryRegistry}) can be used by a {@link DownstreamGuard}.
 *
 * <p>The config keeps everything it had (max attempts, exception and result predicates, the backoff);
 * only its interval function is wrapped. Resilience4j asks the interval function for the wait before
 * each retry, and in 2.4.0 a negative answer means "do not retry": the {@code Retry} then publishes
 * a {@code RetryOnErrorEvent} instead of a {@code RetryOnRetryEvent}. While a {@link DownstreamGuard}
 * runs a call, the wrapped function computes the backoff as configured and then answers -1 when the
 * budget rules veto the retry (the caller left, the {@link AmplificationRule}, the backoff plus the
 * next attempt do not fit in the remaining budget, the {@link RetryBudget} is spent); the failure
 * passed to the event then carries a {@link RetryStoppedException} note saying why. Used outside a
 * guard, the function is the configured one.
 *
 * <pre>{@code
 * RetryConfig retries = RetryConfig.custom().maxAttempts(3)
 *     .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(20), 2.0, 0.5))
 *     .build();
 * RetryRegistry registry = RetryRegistry.of(BudgetAwareRetry.config(retries));
 * DownstreamGuard cache = DownstreamGuard.builder("cache").retry(registry.retry("cache")).build();
 * }</pre>
 */
public final class BudgetAwareRetry {
  /** The call whose retry decision is being made on this thread, if any. */
  private static final ThreadLocal<@Nullable GuardedCall<?>> DECIDING = new ThreadLocal<>();

  private BudgetAwareRetry() {}

  /** {@code config} with its interval function made budget-aware (a config that already is comes back as is). */
  public static RetryConfig config(RetryConfig config) {
    requireNonNull(config, "config");
    IntervalBiFunction<Object> backoff = config.getIntervalBiFunction();
    if (backoff instanceof BudgetInterval) {
      return config;
    }
    return RetryConfig.from(config).intervalBiFunction(new BudgetInterval(backoff)).build();
  }

  /** A {@link Retry} named {@code name} with {@code config} made budget-aware. */
  public static Retry of(String name, RetryConfig config) {
    return Retry.of(requireNonNull(name, "name"), config(config));
  }

  /** Whether {@code retry}'s interval function is budget-aware. */
  public static boolean isBudgetAware(Retry retry) {
    return requireNonNull(retry, "retry").getRetryConfig().getIntervalBiFunction() instanceof BudgetInterval;
  }

  /**
   * Runs {@code decision} (a call into the retry's context) with {@code call} as the one whose retries
   * the interval function vetoes, and returns what the context answered.
   */
  static long deciding(GuardedCall<?> call, java.util.function.LongSupplier decision) {
    GuardedCall<?> outer = DECIDING.get();
    DECIDING.set(call);
    try {
      return decision.getAsLong();
    } finally {
      if (outer == null) {
        DECIDING.remove();
      } else {
        DECIDING.set(outer);
      }
    }
  }

  /** The configured backoff, then the veto of the call being decided on this thread. */
  private static final class BudgetInterval implements IntervalBiFunction<Object> {
    private final IntervalBiFunction<Object> backoff;

    BudgetInterval(IntervalBiFunction<Object> backoff) {
      this.backoff = backoff;
    }

    @Override
    public Long apply(Integer attempt, Either<Throwable, Object> outcome) {
      long interval = backoff.apply(attempt, outcome);
      GuardedCall<?> call = DECIDING.get();
      if (call == null || interval < 0) {
        return interval;
      }
      return call.vetoRetry(interval, outcome.isLeft() ? outcome.getLeft() : null);
    }

    @Override
    public String toString() {
      return "BudgetAwareRetry[" + backoff + "]";
    }
  }
}
