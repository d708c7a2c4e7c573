package io.reqctx;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs work with the submitter's ctx current, and stops it when the request is cancelled: a task whose
 * request is already cancelled when it would start is skipped, a running one is interrupted (unless
 * {@link OnCancel#LET_RUN}). Work that must outlive its request runs under {@link RequestCtx#detached()}.
 * A wrapped task may run any number of times; each run is bound to the request anew.
 *
 * <pre>{@code
 * Executor pool = CtxExecutors.wrap(Executors.newFixedThreadPool(4));
 * pool.execute(() -> lookUp(RequestCtx.current().get(TENANT)));   // same ctx, stops with it
 *
 * CompletableFuture<Price> price = CtxExecutors.supplyAsync(() -> pricing.quote(sku), pool);
 * }</pre>
 *
 * <p>An interrupt reqctx delivers is cleared when the task returns, so it never reaches the next task
 * of a pool thread; an interrupt the thread already had when the task started is kept.
 */
public final class CtxExecutors {
  private CtxExecutors() {}

  /** What happens to a task that is already running when its request is cancelled. */
  public enum OnCancel {
    /** Interrupt the thread running it (the default). */
    INTERRUPT,
    /** Let it finish; only tasks not yet started are skipped. */
    LET_RUN
  }

  /** An executor whose tasks run with their submitter's ctx and stop with it (interrupting). */
  public static Executor wrap(Executor executor) {
    return wrap(executor, OnCancel.INTERRUPT);
  }

  /** An executor whose tasks run with their submitter's ctx and stop with it as {@code onCancel} says. */
  public static Executor wrap(Executor executor, OnCancel onCancel) {
    requireNonNull(executor, "executor");
    requireNonNull(onCancel, "onCancel");
    return task -> executor.execute(wrap(task, onCancel));
  }

  /** {@code task}, bound to the current ctx: skipped if the request is cancelled first, else interrupted. */
  public static Runnable wrap(Runnable task) {
    return wrap(task, OnCancel.INTERRUPT);
  }

  /** {@code task}, bound to the current ctx, stopping as {@code onCancel} says. */
  public static Runnable wrap(Runnable task, OnCancel onCancel) {
    requireNonNull(task, "task");
    requireNonNull(onCancel, "onCancel");
    Context context = Context.current();
    Throwable site = LeakDetection.captureSite("task submitted here");
    return () -> {
      BoundRun run = BoundRun.start(context, onCancel, site);
      if (run != null) {
        run.call(() -> {
          task.run();
          return null;
        });
      }
    };
  }

  /**
   * {@code task}, bound to the current ctx; it throws {@link CancellationException} (caused by the
   * request's cancellation cause) when the request was cancelled before it started.
   */
  public static <V> Callable<V> wrap(Callable<V> task) {
    requireNonNull(task, "task");
    Context context = Context.current();
    Throwable site = LeakDetection.captureSite("task submitted here");
    return () -> {
      BoundRun run = BoundRun.start(context, OnCancel.INTERRUPT, site);
      if (run == null) {
        throw notStarted(RequestCtx.fromContext(context));
      }
      return run.call(task::call);
    };
  }

  /**
   * Like {@link CompletableFuture#supplyAsync(Supplier, Executor)}, bound to the current ctx: when the
   * request is cancelled the future fails with {@link CancellationException} and the task stops;
   * cancelling the future stops the task too.
   */
  public static <T> CompletableFuture<T> supplyAsync(Supplier<T> supplier, Executor executor) {
    requireNonNull(supplier, "supplier");
    requireNonNull(executor, "executor");
    Context context = Context.current();
    RequestCtx ctx = RequestCtx.fromContext(context);
    Throwable site = LeakDetection.captureSite("task submitted here");
    CompletableFuture<T> future = new CompletableFuture<>();
    AtomicReference<@Nullable BoundRun> running = new AtomicReference<>();
    // The future fails before the task is interrupted, so a task that returns a value once
    // interrupted cannot complete it.
    RequestCtx.CancelRegistration onRequestCancel =
        ctx.onCancel(cause -> future.completeExceptionally(cancellation(cause)));
    future.whenComplete((v, e) -> {
      onRequestCancel.remove();
      BoundRun run = running.get();
      if (future.isCancelled() && run != null) {
        run.stop();
      }
    });
    try {
      executor.execute(() -> {
        if (future.isDone()) {
          return;
        }
        BoundRun run = BoundRun.start(context, OnCancel.INTERRUPT, site);
        if (run == null) {
          future.completeExceptionally(notStarted(ctx));
          return;
        }
        running.set(run);
        if (future.isCancelled()) { // cancelled while starting
          run.stop();
        }
        try {
          future.complete(run.call(supplier::get));
        } catch (Throwable e) {
          future.completeExceptionally(e);
        }
      });
    } catch (RuntimeException rejected) {
      onRequestCancel.remove();
      throw rejected;
    }
    return future;
  }

  static CancellationException cancellation(Throwable cause) {
    CancellationException e = new CancellationException("reqctx: request cancelled: " + cause.getMessage());
    e.initCause(cause);
    return e;
  }

  private static CancellationException notStarted(RequestCtx ctx) {
    Throwable cause = ctx.cancellationCause();
    return cancellation(cause != null ? cause : new CancellationException("reqctx: task cancelled before it ran"));
  }

  @FunctionalInterface
  private interface Body<V, E extends Exception> {
    V call() throws E;
  }

  /**
   * One run of a task on the current thread: RUNNING → DONE, or RUNNING → INTERRUPTING → DONE when its
   * request is cancelled. The interrupt is only delivered while the task runs; the run waits for a
   * delivery in progress and clears it before returning.
   */
  private static final class BoundRun {
    private static final int RUNNING = 0;
    private static final int INTERRUPTING = 1;
    private static final int DONE = 2;

    private final Context context;
    private final RequestCtx ctx;
    private final OnCancel onCancel;
    private final @Nullable Throwable site;
    private final Thread runner = Thread.currentThread();
    private final boolean interruptedBefore = Thread.currentThread().isInterrupted();
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private RequestCtx.@Nullable CancelRegistration registration;

    private BoundRun(Context context, RequestCtx ctx, OnCancel onCancel, @Nullable Throwable site) {
      this.context = context;
      this.ctx = ctx;
      this.onCancel = onCancel;
      this.site = site;
    }

    /** A run bound to the request, or null when the request is already cancelled (the task is skipped). */
    static @Nullable BoundRun start(Context context, OnCancel onCancel, @Nullable Throwable site) {
      RequestCtx ctx = RequestCtx.fromContext(context);
      if (ctx.isCancelled()) {
        return null;
      }
      BoundRun run = new BoundRun(context, ctx, onCancel, site);
      run.registration = ctx.onCancel(run::requestEnded);
      if (ctx.isCancelled()) { // cancelled while registering: skip rather than start interrupted
        run.finish();
        return null;
      }
      return run;
    }

    private void requestEnded(Throwable cause) {
      if (cause instanceof CtxClosedException && state.get() == RUNNING) {
        LeakDetection.report(new LeakReport(LeakReport.Kind.TASK_RUNNING_AFTER_CTX_END,
            "request " + ctx.requestId() + ", tier " + ctx.tier().name() + ", task on " + runner.getName(), site));
      }
      if (onCancel == OnCancel.INTERRUPT) {
        stop();
      }
    }

    /** Interrupts the runner if the task still runs. */
    void stop() {
      if (state.compareAndSet(RUNNING, INTERRUPTING)) {
        runner.interrupt();
        state.set(DONE);
      }
    }

    <V, E extends Exception> V call(Body<V, E> body) throws E {
      try (Scope ignored = RequestCtx.attach(context)) {
        return body.call();
      } finally {
        finish();
      }
    }

    private void finish() {
      RequestCtx.CancelRegistration r = registration;
      if (r != null) {
        r.remove();
      }
      if (!state.compareAndSet(RUNNING, DONE)) {
        while (state.get() == INTERRUPTING) {
          Thread.onSpinWait();
        }
        Thread.interrupted(); // the interrupt reqctx delivered
        if (interruptedBefore) {
          runner.interrupt();
        }
      }
    }
  }
}
