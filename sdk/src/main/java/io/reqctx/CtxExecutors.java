package io.reqctx;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs work with the submitter's ctx current, and stops it when the request is cancelled: a task still
 * pending is skipped, a running one is interrupted (unless {@link OnCancel#LET_RUN}). Work that must
 * outlive its request runs under {@link RequestCtx#detached()}.
 *
 * <pre>{@code
 * Executor pool = CtxExecutors.wrap(Executors.newFixedThreadPool(4));
 * pool.execute(() -> lookUp(RequestCtx.current().get(TENANT)));   // same ctx, stops with it
 *
 * CompletableFuture<Price> price = CtxExecutors.supplyAsync(() -> pricing.quote(sku), pool);
 * }</pre>
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
    BoundTask bound = new BoundTask(Context.current(), requireNonNull(onCancel, "onCancel"));
    return () -> {
      if (bound.start()) {
        bound.runStarted(() -> {
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
    BoundTask bound = new BoundTask(Context.current(), OnCancel.INTERRUPT);
    return () -> {
      if (!bound.start()) {
        throw bound.notStarted();
      }
      return bound.runStarted(task::call);
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
    CompletableFuture<T> future = new CompletableFuture<>();
    // Registered before the task's own listener: the future fails before the task is interrupted, so
    // a task that returns a value once interrupted cannot complete it.
    RequestCtx.CancelRegistration onRequestCancel =
        RequestCtx.fromContext(context).onCancel(cause -> future.completeExceptionally(cancellation(cause)));
    BoundTask bound = new BoundTask(context, OnCancel.INTERRUPT);
    future.whenComplete((v, e) -> {
      onRequestCancel.remove();
      if (future.isCancelled()) {
        bound.stop();
      }
    });
    executor.execute(() -> {
      if (!bound.start()) {
        future.completeExceptionally(bound.notStarted());
        return;
      }
      try {
        future.complete(bound.runStarted(supplier::get));
      } catch (Throwable e) {
        future.completeExceptionally(e);
      }
    });
    return future;
  }

  @FunctionalInterface
  private interface Body<V, E extends Exception> {
    V call() throws E;
  }

  static CancellationException cancellation(Throwable cause) {
    CancellationException e = new CancellationException("reqctx: request cancelled: " + cause.getMessage());
    e.initCause(cause);
    return e;
  }

  /**
   * One task's life: PENDING → RUNNING → DONE, or → CANCELLED before it runs. An interrupt is only
   * delivered while the task runs, never to whatever the pool thread runs next.
   */
  private static final class BoundTask {
    private static final int PENDING = 0;
    private static final int RUNNING = 1;
    private static final int INTERRUPTING = 2;
    private static final int DONE = 3;
    private static final int CANCELLED = 4;

    private final Context context;
    private final OnCancel onCancel;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private final RequestCtx.CancelRegistration registration;
    private volatile @Nullable Thread runner;
    private final @Nullable Throwable site;

    BoundTask(Context context, OnCancel onCancel) {
      this.context = context;
      this.onCancel = onCancel;
      this.site = LeakDetection.captureSite("task submitted here");
      this.registration = RequestCtx.fromContext(context).onCancel(this::requestEnded);
    }

    private void requestEnded(Throwable cause) {
      if (cause instanceof ScopeClosedException && state.get() == RUNNING) {
        RequestCtx ctx = ctx();
        LeakDetection.report(new LeakReport(LeakReport.Kind.TASK_RUNNING_AFTER_SCOPE_END,
            "request " + ctx.requestId() + ", tier " + ctx.tier().name() + ", task on " + runnerName(), site));
      }
      stop();
    }

    private String runnerName() {
      Thread t = runner;
      return t == null ? "?" : t.getName();
    }

    void stop() {
      if (state.compareAndSet(PENDING, CANCELLED)) {
        return;
      }
      if (onCancel == OnCancel.INTERRUPT && state.compareAndSet(RUNNING, INTERRUPTING)) {
        Thread t = runner;
        if (t != null) {
          t.interrupt();
        }
        state.set(DONE);
      }
    }

    RequestCtx ctx() {
      return RequestCtx.fromContext(context);
    }

    /** Claims the task for running on this thread; false when it was cancelled first. */
    boolean start() {
      if (!state.compareAndSet(PENDING, RUNNING)) {
        registration.remove();
        return false;
      }
      runner = Thread.currentThread();
      if (ctx().isCancelled()) { // cancelled before the listener was registered
        stop();
      }
      return true;
    }

    CancellationException notStarted() {
      Throwable cause = ctx().cancellationCause();
      return cancellation(cause != null ? cause : new CancellationException("reqctx: task cancelled before it ran"));
    }

    <V, E extends Exception> V runStarted(Body<V, E> body) throws E {
      try (Scope ignored = RequestCtx.attach(context)) {
        return body.call();
      } finally {
        registration.remove();
        if (!state.compareAndSet(RUNNING, DONE)) {
          // An interrupt is on its way or delivered: wait for it, then clear it from this pool thread.
          while (state.get() == INTERRUPTING) {
            Thread.onSpinWait();
          }
          Thread.interrupted();
        }
        runner = null;
      }
    }
  }
}
