package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** {@link BudgetRetry} without a circuit breaker. */
final class BudgetRetryImpl implements BudgetRetry {
  private final RetryEngine engine;

  BudgetRetryImpl(BudgetRetryConfig config) {
    this.engine = new RetryEngine(config);
  }

  @Override
  public BudgetRetryConfig config() {
    return engine.config();
  }

  @Override
  public <T> T call(Callable<T> attempt) throws Exception {
    return engine.call(requireNonNull(attempt, "attempt"), engine.config().retryOn(), AttemptGuard.NONE);
  }

  @Override
  public <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> attempt) {
    return engine.callAsync(requireNonNull(attempt, "attempt"), engine.config().retryOn(), AttemptGuard.NONE);
  }

  @Override
  public String toString() {
    return "BudgetRetry[" + engine.config() + "]";
  }
}
