package io.reqctx.resilience4j;

import io.github.resilience4j.retry.Retry;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One guarded call. Each attempt gets its budget from the {@link RetryPlanner}, its permissions from
 * the {@link AttemptPermits} and runs in its own scope ({@link Attempts}); between attempts the
 * downstream's Resilience4j {@link Retry} decides, through its {@link Retry.AsyncContext} (predicates,
 * max attempts, backoff, events, metrics), and the budget rules veto its retries through the interval
 * function of {@link BudgetAwareRetry}. Backoffs wait on the guard's ticker, and stop when the
 * caller's request is cancelled.
 *
 * <p>The asynchronous context serves blocking calls too (run on the caller's thread by its executor):
 * {@code Retry.context()} sleeps in {@code Thread.sleep}, which neither the request's cancellation nor an
 * injected ticker can cut short.
 *
 * <p>Attempts never overlap: each starts when the previous one, or its backoff, has ended, so one
 * thread at a time moves the call on.
 */
final class GuardedCall<T> {
  final CompletableFuture<T> result = new CompletableFuture<>();
  private final RetryPlanner planner;
  private final AttemptPermits permits;
  private final Supplier<? extends CompletionStage<T>> work;
  private final Executor executor;
  private final RequestCtx ctx;
  private final Retry.@Nullable AsyncContext<T> retryContext;
  private final boolean retrying;
  private volatile int attempts;
  private volatile @Nullable Throwable last;
  private volatile @Nullable CompletableFuture<T> running;
  /** Why the interval function vetoed the retry just decided; read and written by the deciding thread. */
  private @Nullable RetryStoppedException veto;

  private GuardedCall(RetryPlanner planner, AttemptPermits permits, Supplier<? extends CompletionStage<T>> work,
      Executor executor, RequestCtx ctx) {
    this.planner = planner;
    this.permits = permits;
    this.work = work;
    this.executor = executor;
    this.ctx = ctx;
    Retry retry = planner.config().retry();
    this.retryContext = retry == null ? null : retry.asyncContext();
    this.retrying = planner.mayRetry(ctx);
    result.whenComplete((value, error) -> {
      CompletableFuture<T> attempt = running;
      if (result.isCancelled() && attempt != null) {
        attempt.cancel(true); // the caller gave up on the result: stop the attempt too
      }
    });
  }

  /** Starts a call of {@code work} under the current ctx; later attempts start on {@code executor}. */
  static <T> GuardedCall<T> start(RetryPlanner planner, AttemptPermits permits,
      Supplier<? extends CompletionStage<T>> work, Executor executor) {
    GuardedCall<T> call = new GuardedCall<>(planner, permits, work, executor, RequestCtx.current());
    RetryBudget retryBudget = planner.config().retryBudget();
    if (retryBudget != null) {
      retryBudget.recordRequest();
    }
    call.next();
    return call;
  }

  private void next() {
    if (result.isDone()) {
      return;
    }
    RetryPlanner.AttemptBudget budget;
    try {
      budget = planner.attemptBudget(ctx, attempts);
      permits.acquire(attempts);
    } catch (RetryStoppedException stop) {
      result.completeExceptionally(RetryPlanner.failure(stop, last));
      return;
    }
    int attempt = ++attempts;
    Ticker ticker = planner.config().ticker();
    long start = ticker.nanoTime();
    CompletableFuture<T> outcome = Attempts.run(ctx, planner.attemptCtx(ctx, attempt, retrying), attempt, budget, work,
        planner.config().downstream());
    running = outcome;
    if (result.isCancelled()) {
      outcome.cancel(true);
    }
    outcome.whenComplete((value, error) -> ended(budget, ticker.nanoTime() - start, value, error));
  }

  private void ended(RetryPlanner.AttemptBudget budget, long nanos, @Nullable T value, @Nullable Throwable error) {
    if (error == null) {
      permits.onSuccess(nanos, value);
      succeeded(value);
      return;
    }
    Throwable failure = Attempts.unwrap(error);
    if (result.isCancelled()) {
      permits.release(); // the caller gave up on the result: says nothing about the downstream's health
      return;
    }
    boolean timedOut = failure instanceof AttemptTimeoutException || planner.config().timeoutOn().test(failure);
    // The caller leaving, or running out of time on a budget the caller had cut short, is the caller's doing.
    boolean calleeOwned = !ctx.isCancelled() && !(timedOut && budget.cutByCaller());
    permits.onFailure(nanos, failure, timedOut, calleeOwned);
    last = failure;
    Retry.AsyncContext<T> decider = retryContext;
    if (decider == null || !(failure instanceof Exception)) {
      if (failure instanceof Exception) {
        RetryPlanner.failure(planner.stopWithoutVeto(ctx, attempts, failure), failure);
      }
      result.completeExceptionally(failure);
      return;
    }
    long backoff = decide(() -> decider.onError(failure));
    if (backoff < 0) {
      if (veto == null) { // Resilience4j itself stopped (its predicate, its max attempts); a veto is noted already
        RetryPlanner.failure(planner.stopWithoutVeto(ctx, attempts, failure), failure);
      }
      result.completeExceptionally(failure);
      return;
    }
    retryAfter(backoff);
  }

  private void succeeded(@Nullable T value) {
    Retry.AsyncContext<T> decider = retryContext;
    if (decider == null) {
      result.complete(value);
      return;
    }
    long backoff = decide(() -> decider.onResult(value));
    if (backoff >= 0) { // the Retry's result predicate asked for another attempt
      retryAfter(backoff);
      return;
    }
    try {
      decider.onComplete(); // throws when the Retry fails after max attempts on results
      result.complete(value);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  private long decide(LongSupplier decision) {
    veto = null;
    return BudgetAwareRetry.deciding(this, decision);
  }

  /**
   * Called by the budget-aware interval function while the Retry decides: {@code interval} when the
   * budget allows the retry, else -1, with the reason noted on {@code failure}.
   */
  long vetoRetry(long interval, @Nullable Throwable failure) {
    RetryStoppedException stop = planner.vetoRetry(ctx, attempts, failure, interval, retrying);
    if (stop == null) {
      return interval;
    }
    veto = stop;
    if (failure != null) {
      failure.addSuppressed(stop); // before the Retry publishes its error event with it
    }
    return -1;
  }

  /** The next attempt after {@code backoffMillis} on the ticker, unless the caller's request is cancelled first. */
  private void retryAfter(long backoffMillis) {
    if (backoffMillis == 0) {
      executor.execute(this::next);
      return;
    }
    AtomicReference<Ticker.@Nullable Alarm> alarm = new AtomicReference<>();
    RequestCtx.CancelRegistration onCancel = ctx.onCancel(cause -> {
      Ticker.Alarm pending = alarm.get();
      if (pending != null) {
        pending.cancel();
      }
      result.completeExceptionally(RetryPlanner.failure(planner.cancelled(ctx, attempts, " during the backoff"), last));
    });
    if (result.isDone()) {
      onCancel.remove();
      return;
    }
    // The alarm runs on the ticker's timer thread: only hand over from there.
    alarm.set(planner.config().ticker().schedule(() -> {
      onCancel.remove();
      executor.execute(this::next);
    }, TimeUnit.MILLISECONDS.toNanos(backoffMillis)));
    result.whenComplete((v, e) -> {
      onCancel.remove();
      alarm.get().cancel();
    });
  }
}
