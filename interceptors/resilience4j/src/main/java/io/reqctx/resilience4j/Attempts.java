package io.reqctx.resilience4j;

import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.CtxExecutors;
import io.reqctx.DeadlineExceededException;
import io.reqctx.RequestCtx;
import io.reqctx.internal.transport.AttemptBound;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs one attempt in its own child scope, current while the attempt starts: the scope's deadline is
 * the attempt's budget, and when it passes the scope is cancelled, which stops the work under it (calls
 * made through reqctx's client interceptors are cancelled; a blocking attempt's thread is interrupted;
 * an asynchronous attempt's future is cancelled). Resilience4j's {@code TimeLimiter} only abandons a
 * future after a fixed timeout; this is the part of the time limit it cannot express.
 */
final class Attempts {
  private Attempts() {}

  /** A blocking attempt as a stage: {@code task} runs on this thread, interrupted if the attempt's ctx is cancelled. */
  static <T> Supplier<CompletionStage<T>> blocking(Callable<T> task) {
    return () -> {
      try {
        // Bound to the attempt's ctx (current here): interrupted if the attempt's budget ends while it runs.
        return CompletableFuture.completedFuture(CtxExecutors.wrap(task, CtxExecutors.OnCancel.INTERRUPT).call());
      } catch (Exception e) {
        return CompletableFuture.failedFuture(e);
      }
    };
  }

  /**
   * Starts attempt {@code attempt} of a call made under {@code parent}, with {@code attemptCtx} current
   * in a child scope whose budget is {@code budget}. The future fails with an {@link
   * AttemptTimeoutException} when that budget ends first (the work is stopped); cancelling it stops the
   * attempt. Its scope is closed before the future completes, so nothing of the attempt is still open
   * once the caller moves on (and, say, closes the request scope above it).
   */
  @SuppressWarnings("MustBeClosedChecker") // the scope closes when the attempt ends, before its result is seen
  static <T> CompletableFuture<T> run(RequestCtx parent, RequestCtx attemptCtx, int attempt,
      RetryPlanner.AttemptBudget budget, Supplier<? extends CompletionStage<T>> work, String downstream) {
    CancellableCtx scope = CancellableCtx.childOf(attemptCtx, budget.budget());
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletionStage<T> stage;
    // The attempt's budget already has the reserve taken: reqctx's client interceptors below must not take it again.
    try (Scope ignored = AttemptBound.mark(scope.ctx(), parent).makeCurrent()) {
      stage = work.get();
    } catch (RuntimeException | Error e) {
      scope.close();
      result.completeExceptionally(e);
      return result;
    }
    // Whichever ends the attempt first, its stage or its scope's cancellation, settles it; the other is ignored.
    AtomicBoolean settled = new AtomicBoolean();
    AtomicReference<RequestCtx.@Nullable CancelRegistration> onCancel = new AtomicReference<>();
    stage.whenComplete((value, error) -> {
      if (!settled.compareAndSet(false, true)) {
        return;
      }
      RequestCtx.CancelRegistration registration = onCancel.get();
      if (registration != null) {
        registration.remove();
      }
      Throwable failure = error == null ? null : unwrap(error);
      AttemptTimeoutException timeout =
          failure == null ? null : timeoutOf(scope, parent, attempt, budget, failure, downstream);
      scope.close();
      if (failure == null) {
        result.complete(value);
      } else {
        result.completeExceptionally(timeout != null ? timeout : failure);
      }
    });
    if (settled.get()) {
      return result; // a blocking attempt, or one that answered at once
    }
    onCancel.set(scope.ctx().onCancel(cause -> {
      if (!settled.compareAndSet(false, true)) {
        return;
      }
      AttemptTimeoutException timeout = timeoutOf(scope, parent, attempt, budget, null, downstream);
      scope.close();
      result.completeExceptionally(timeout != null ? timeout : cancellation(cause));
      cancel(stage);
    }));
    result.whenComplete((value, error) -> {
      if (result.isCancelled() && settled.compareAndSet(false, true)) { // cancelled by the caller: stop the attempt
        onCancel.get().remove();
        cancel(stage); // first, so that work nested in the attempt's scope ends before the scope closes
        scope.close();
      }
    });
    return result;
  }

  private static @Nullable AttemptTimeoutException timeoutOf(CancellableCtx scope, RequestCtx parent, int attempt,
      RetryPlanner.AttemptBudget budget, @Nullable Throwable cause, String downstream) {
    if (scope.ctx().cancellationCause() instanceof DeadlineExceededException && !parent.isCancelled()) {
      return new AttemptTimeoutException(downstream, attempt, budget.budget(), budget.cutByCaller(), cause);
    }
    return null;
  }

  private static void cancel(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().cancel(true);
    } catch (UnsupportedOperationException notCancellable) {
      // a stage without a future view: the attempt's cancelled ctx is all that stops it
    }
  }

  static CancellationException cancellation(Throwable cause) {
    CancellationException e = new CancellationException("reqctx: attempt cancelled: " + cause.getMessage());
    e.initCause(cause);
    return e;
  }

  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
