package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.reqctx.RequestCtx;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** {@link BudgetTimeLimiter}: one attempt that keeps the inbound attempt number. */
final class BudgetTimeLimiterImpl implements BudgetTimeLimiter {
  private final RetryPlanner planner;

  BudgetTimeLimiterImpl(BudgetRetryConfig config) {
    this.planner = new RetryPlanner(config);
  }

  @Override
  public <T> T call(Callable<T> work) throws Exception {
    requireNonNull(work, "work");
    RequestCtx ctx = RequestCtx.current();
    Duration budget = planner.attemptBudget(ctx, 0);
    return Attempts.runSync(ctx, ctx, ctx.inboundAttempt(), budget, work, planner.config().downstream());
  }

  @Override
  public <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> work) {
    requireNonNull(work, "work");
    RequestCtx ctx = RequestCtx.current();
    Duration budget;
    try {
      budget = planner.attemptBudget(ctx, 0);
    } catch (RetryStoppedException stop) {
      return CompletableFuture.failedFuture(stop);
    }
    return Attempts.runAsync(ctx, ctx, ctx.inboundAttempt(), budget, work, planner.config().downstream());
  }

  @Override
  public String toString() {
    return "BudgetTimeLimiter[cap " + planner.config().perAttemptCap() + "]";
  }
}
