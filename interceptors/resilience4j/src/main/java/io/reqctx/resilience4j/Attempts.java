package io.reqctx.resilience4j;

import io.opentelemetry.context.Scope;
import io.reqctx.CtxExecutors;
import io.reqctx.DeadlineExceededException;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Ticker;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs one attempt in its own child scope, current while the attempt starts: the scope's deadline is
 * the attempt's budget, and when it passes the scope is cancelled, which stops the work under it (calls
 * made through reqctx's client interceptors are cancelled; a blocking attempt's thread is interrupted;
 * an asynchronous attempt's future is cancelled).
 */
final class Attempts {
  private Attempts() {}

  static <T> T runSync(RequestCtx parent, RequestCtx attemptCtx, int attempt, Duration budget,
      Callable<T> task, String downstream) throws Exception {
    try (CancellableCtx scope = CancellableCtx.childOf(attemptCtx, budget);
        Scope ignored = scope.makeCurrent()) {
      try {
        // Bound to the attempt's ctx: interrupted if the attempt's budget ends while it runs.
        return CtxExecutors.wrap(task).call();
      } catch (Exception e) {
        AttemptTimeoutException timeout = timeoutOf(scope, parent, attempt, budget, e, downstream);
        throw timeout != null ? timeout : e;
      }
    }
  }

  @SuppressWarnings("MustBeClosedChecker") // the scope closes when the attempt ends, before its result is seen
  static <T> CompletableFuture<T> runAsync(RequestCtx parent, RequestCtx attemptCtx, int attempt, Duration budget,
      Supplier<? extends CompletionStage<T>> work, String downstream) {
    CancellableCtx scope = CancellableCtx.childOf(attemptCtx, budget);
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletionStage<T> stage;
    try (Scope ignored = scope.makeCurrent()) {
      stage = work.get();
    } catch (RuntimeException e) {
      scope.close();
      result.completeExceptionally(e);
      return result;
    }
    // The attempt's scope closes before the caller can see its result, so nothing of the attempt is
    // still open once the caller moves on (and, say, closes the request scope above it).
    RequestCtx.CancelRegistration onCancel = scope.ctx().onCancel(cause -> {
      AttemptTimeoutException timeout = timeoutOf(scope, parent, attempt, budget, null, downstream);
      scope.close();
      if (result.completeExceptionally(timeout != null ? timeout : cancellation(cause))) {
        cancel(stage);
      }
    });
    stage.whenComplete((value, error) -> {
      onCancel.remove();
      scope.close();
      if (error == null) {
        result.complete(value);
      } else {
        result.completeExceptionally(unwrap(error));
      }
    });
    result.whenComplete((value, error) -> {
      if (result.isCancelled()) { // cancelled by the caller: stop the attempt
        onCancel.remove();
        scope.close();
        cancel(stage);
      }
    });
    return result;
  }

  /** Waits {@code nanos} on {@code ticker}; false when the request was cancelled first. */
  static boolean sleep(RequestCtx ctx, Ticker ticker, long nanos) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    Ticker.Alarm alarm = ticker.schedule(done::countDown, nanos);
    RequestCtx.CancelRegistration onCancel = ctx.onCancel(cause -> done.countDown());
    try {
      done.await();
    } finally {
      alarm.cancel();
      onCancel.remove();
    }
    return !ctx.isCancelled();
  }

  private static @Nullable AttemptTimeoutException timeoutOf(CancellableCtx scope, RequestCtx parent, int attempt,
      Duration budget, @Nullable Throwable cause, String downstream) {
    if (scope.ctx().cancellationCause() instanceof DeadlineExceededException && !parent.isCancelled()) {
      return new AttemptTimeoutException(downstream, attempt, budget, cause);
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
