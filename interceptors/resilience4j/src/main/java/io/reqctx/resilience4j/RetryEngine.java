package io.reqctx.resilience4j;

import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** The retry loop, blocking and asynchronous, around an {@link AttemptGuard}. */
final class RetryEngine {
  private final RetryPlanner planner;

  RetryEngine(BudgetRetryConfig config) {
    this.planner = new RetryPlanner(config);
  }

  BudgetRetryConfig config() {
    return planner.config();
  }

  <T> T call(Callable<T> task, Predicate<Throwable> retryOn, AttemptGuard guard) throws Exception {
    BudgetRetryConfig config = planner.config();
    Ticker ticker = config.ticker();
    RequestCtx ctx = RequestCtx.current();
    boolean retrying = planner.mayRetry(ctx);
    recordRequest(config);
    int attempts = 0;
    Exception last = null;
    while (true) {
      Duration budget;
      try {
        budget = planner.attemptBudget(ctx, attempts);
        guard.acquire(attempts);
      } catch (RetryStoppedException stop) {
        throw asException(RetryPlanner.failure(stop, last));
      }
      attempts++;
      long start = ticker.nanoTime();
      try {
        T value = Attempts.runSync(ctx, planner.attemptCtx(ctx, attempts, retrying), attempts, budget, task,
            config.downstream());
        guard.onSuccess(ticker.nanoTime() - start);
        return value;
      } catch (Exception e) {
        report(guard, ctx, ticker.nanoTime() - start, e);
        last = e;
      } catch (Error e) {
        guard.onFailure(ticker.nanoTime() - start, e); // releases the breaker's permit before the error goes up
        throw e;
      }
      long backoff;
      try {
        backoff = planner.backoffBeforeNextAttempt(ctx, attempts, last, retryOn, retrying);
      } catch (RetryStoppedException stop) {
        throw asException(RetryPlanner.failure(stop, last));
      }
      if (backoff > 0 && !Attempts.sleep(ctx, ticker, backoff)) {
        throw asException(RetryPlanner.failure(cancelledDuringBackoff(ctx, attempts), last));
      }
    }
  }

  <T> CompletableFuture<T> callAsync(
      Supplier<? extends CompletionStage<T>> work, Predicate<Throwable> retryOn, AttemptGuard guard) {
    AsyncRun<T> run = new AsyncRun<>(work, retryOn, guard, RequestCtx.current());
    recordRequest(planner.config());
    run.next();
    return run.result;
  }

  private static void recordRequest(BudgetRetryConfig config) {
    RetryBudget budget = config.retryBudget();
    if (budget != null) {
      budget.recordRequest();
    }
  }

  private static void report(AttemptGuard guard, RequestCtx ctx, long nanos, Throwable failure) {
    if (ctx.isCancelled()) {
      guard.release(); // the caller left: says nothing about the downstream's health
    } else {
      guard.onFailure(nanos, failure);
    }
  }

  private RetryStoppedException cancelledDuringBackoff(RequestCtx ctx, int attempts) {
    return new RetryStoppedException(StopReason.CANCELLED, attempts,
        "reqctx: not retrying " + planner.config().downstream() + ": the caller's request was cancelled during "
            + "the backoff (" + ctx.cancellationCause() + ")", null);
  }

  private static Exception asException(Throwable t) {
    if (t instanceof Exception e) {
      return e;
    }
    throw (Error) t;
  }

  /** One asynchronous call: attempts chained through their futures, backoffs on the ticker. */
  private final class AsyncRun<T> {
    final CompletableFuture<T> result = new CompletableFuture<>();
    private final Supplier<? extends CompletionStage<T>> work;
    private final Predicate<Throwable> retryOn;
    private final AttemptGuard guard;
    private final RequestCtx ctx;
    private final boolean retrying;
    private volatile int attempts;
    private volatile @Nullable Throwable last;
    private volatile @Nullable CompletableFuture<T> current;

    AsyncRun(Supplier<? extends CompletionStage<T>> work, Predicate<Throwable> retryOn, AttemptGuard guard,
        RequestCtx ctx) {
      this.work = work;
      this.retryOn = retryOn;
      this.guard = guard;
      this.ctx = ctx;
      this.retrying = planner.mayRetry(ctx);
      result.whenComplete((value, error) -> {
        CompletableFuture<T> attempt = current;
        if (result.isCancelled() && attempt != null) {
          attempt.cancel(true); // the caller gave up on the result: stop the attempt too
        }
      });
    }

    void next() {
      if (result.isDone()) {
        return;
      }
      Duration budget;
      try {
        budget = planner.attemptBudget(ctx, attempts);
        guard.acquire(attempts);
      } catch (RetryStoppedException stop) {
        result.completeExceptionally(RetryPlanner.failure(stop, last));
        return;
      }
      int attempt = ++attempts;
      Ticker ticker = planner.config().ticker();
      long start = ticker.nanoTime();
      CompletableFuture<T> future;
      try {
        future = Attempts.runAsync(ctx, planner.attemptCtx(ctx, attempt, retrying), attempt, budget, work,
            planner.config().downstream());
      } catch (RuntimeException e) {
        guard.onFailure(0, e);
        result.completeExceptionally(e);
        return;
      }
      current = future;
      if (result.isCancelled()) {
        future.cancel(true);
      }
      future.whenComplete((value, error) -> done(attempt, ticker.nanoTime() - start, value, error));
    }

    private void done(int attempt, long nanos, @Nullable T value, @Nullable Throwable error) {
      if (error == null) {
        guard.onSuccess(nanos);
        result.complete(value);
        return;
      }
      Throwable failure = Attempts.unwrap(error);
      if (result.isCancelled()) {
        guard.release(); // the caller gave up on the result: says nothing about the downstream's health
        return;
      }
      report(guard, ctx, nanos, failure);
      last = failure;
      if (result.isDone()) {
        return;
      }
      long backoff;
      try {
        backoff = planner.backoffBeforeNextAttempt(ctx, attempt, failure, retryOn, retrying);
      } catch (RetryStoppedException stop) {
        result.completeExceptionally(RetryPlanner.failure(stop, failure));
        return;
      }
      BudgetRetryConfig config = planner.config();
      if (backoff <= 0) {
        config.executor().execute(this::next);
        return;
      }
      // The alarm runs on the ticker's timer thread: only hand over from there.
      Ticker.Alarm alarm = config.ticker().schedule(() -> config.executor().execute(this::next), backoff);
      RequestCtx.CancelRegistration onCancel = ctx.onCancel(cause -> {
        alarm.cancel();
        result.completeExceptionally(RetryPlanner.failure(cancelledDuringBackoff(ctx, attempt), failure));
      });
      result.whenComplete((v, e) -> onCancel.remove());
    }
  }
}
