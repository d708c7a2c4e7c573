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
 * Runs work on other threads with the submitter's ctx current. What happens when that ctx is
 * cancelled depends on what the work is:
 *
 * <ul>
 *   <li>A {@link Runnable} ({@link #wrap(Executor)}, {@link #wrap(Runnable)}) always runs, exactly as
 *       the executor runs it: an executor never drops a task it was handed, because a dropped task may
 *       be what completes a {@link CompletableFuture} someone waits on. A task that starts after its
 *       ctx was cancelled runs with that cancelled ctx current; one that must not do its work then
 *       checks {@code RequestCtx.current().isCancelled()} first.
 *   <li>Work that can report a failure — a wrapped {@link Callable}, {@link #supplyAsync} — is skipped
 *       when its ctx is cancelled before it starts: the callable throws, the future fails, with a
 *       {@link CancellationException} caused by the ctx's cancellation cause. The future of
 *       {@code supplyAsync} also fails at once when the ctx is cancelled while the work runs.
 *   <li>Work that is running when its ctx is cancelled is, by default, <em>not</em> interrupted
 *       ({@link OnCancel#COOPERATIVE}): it sees the cancel through {@code RequestCtx.current()}'s
 *       {@code isCancelled()} and {@code onCancel(...)} and stops at its own pace. An interrupt closes
 *       every NIO {@link java.nio.channels.InterruptibleChannel} the thread is using, pooled
 *       connections shared with other requests included, so it is an explicit choice: {@link
 *       OnCancel#INTERRUPT}.
 * </ul>
 *
 * <pre>{@code
 * Executor pool = CtxExecutors.wrap(Executors.newFixedThreadPool(4));
 * pool.execute(() -> {
 *   if (RequestCtx.current().isCancelled()) return;      // the caller already left
 *   lookUp(RequestCtx.current().get(TENANT));
 * });
 *
 * CompletableFuture<Price> price = CtxExecutors.supplyAsync(() -> pricing.quote(sku), pool);
 * }</pre>
 *
 * <p>A wrapped task may run any number of times; each run is bound to the ctx anew. A task still running
 * when its request scope closes is reported as a {@link LeakReport.Kind#TASK_RUNNING_AFTER_CTX_END}
 * leak; work that must outlive its request runs under {@link RequestCtx#detached()}. An interrupt reqctx
 * delivers ({@link OnCancel#INTERRUPT}) is cleared when the task returns, so it never reaches the next
 * task of a pool thread; an interrupt the thread already had when the task started is kept.
 */
public final class CtxExecutors {
  private CtxExecutors() {}

  /** What happens to the thread of a task that is running when its ctx is cancelled. */
  public enum OnCancel {
    /**
     * Nothing (the default): the task sees the cancel through its current ctx and stops cooperatively.
     */
    COOPERATIVE,
    /**
     * The thread running the task is interrupted, at once when the task starts after the cancel. Use it
     * only for tasks that block interruptibly and use no shared {@link
     * java.nio.channels.InterruptibleChannel} (an interrupt closes the channel for everyone).
     */
    INTERRUPT
  }

  /** An executor whose tasks run with their submitter's ctx ({@link OnCancel#COOPERATIVE}). */
  public static Executor wrap(Executor executor) {
    return wrap(executor, OnCancel.COOPERATIVE);
  }

  /** An executor whose tasks run with their submitter's ctx and are stopped as {@code onCancel} says. */
  public static Executor wrap(Executor executor, OnCancel onCancel) {
    requireNonNull(executor, "executor");
    requireNonNull(onCancel, "onCancel");
    return task -> executor.execute(wrap(task, onCancel));
  }

  /** {@code task}, bound to the current ctx ({@link OnCancel#COOPERATIVE}); it always runs. */
  public static Runnable wrap(Runnable task) {
    return wrap(task, OnCancel.COOPERATIVE);
  }

  /** {@code task}, bound to the current ctx and stopped as {@code onCancel} says; it always runs. */
  public static Runnable wrap(Runnable task, OnCancel onCancel) {
    requireNonNull(task, "task");
    requireNonNull(onCancel, "onCancel");
    Context context = Context.current();
    Throwable site = LeakDetection.captureSite("task submitted here");
    return () -> BoundRun.start(context, onCancel, site).call(() -> {
      task.run();
      return null;
    });
  }

  /**
   * {@code task}, bound to the current ctx ({@link OnCancel#COOPERATIVE}); it throws {@link
   * CancellationException} (caused by the ctx's cancellation cause) instead of running when the ctx was
   * cancelled before it started.
   */
  public static <V> Callable<V> wrap(Callable<V> task) {
    return wrap(task, OnCancel.COOPERATIVE);
  }

  /** Like {@link #wrap(Callable)}, stopped as {@code onCancel} says while it runs. */
  public static <V> Callable<V> wrap(Callable<V> task, OnCancel onCancel) {
    requireNonNull(task, "task");
    requireNonNull(onCancel, "onCancel");
    Context context = Context.current();
    Throwable site = LeakDetection.captureSite("task submitted here");
    return () -> {
      RequestCtx ctx = RequestCtx.fromContext(context);
      if (ctx.isCancelled()) {
        throw notStarted(ctx);
      }
      return BoundRun.start(context, onCancel, site).call(task::call);
    };
  }

  /**
   * Like {@link CompletableFuture#supplyAsync(Supplier, Executor)}, bound to the current ctx ({@link
   * OnCancel#COOPERATIVE}): when the ctx is cancelled the future fails at once with {@link
   * CancellationException}, and the supplier is skipped if it has not started.
   */
  public static <T> CompletableFuture<T> supplyAsync(Supplier<T> supplier, Executor executor) {
    return supplyAsync(supplier, executor, OnCancel.COOPERATIVE);
  }

  /**
   * Like {@link #supplyAsync(Supplier, Executor)}; a supplier that is running when the ctx is cancelled,
   * or when the future is cancelled, is stopped as {@code onCancel} says.
   */
  public static <T> CompletableFuture<T> supplyAsync(Supplier<T> supplier, Executor executor, OnCancel onCancel) {
    requireNonNull(supplier, "supplier");
    requireNonNull(executor, "executor");
    requireNonNull(onCancel, "onCancel");
    Context context = Context.current();
    RequestCtx ctx = RequestCtx.fromContext(context);
    Throwable site = LeakDetection.captureSite("task submitted here");
    CompletableFuture<T> future = new CompletableFuture<>();
    AtomicReference<@Nullable BoundRun> running = new AtomicReference<>();
    // The future fails before the supplier is interrupted, so a supplier that returns a value once
    // interrupted cannot complete it.
    RequestCtx.CancelRegistration onCtxCancel =
        ctx.onCancel(cause -> future.completeExceptionally(cancellation(cause)));
    future.whenComplete((v, e) -> {
      onCtxCancel.remove();
      BoundRun run = running.get();
      if (future.isCancelled() && run != null) {
        run.stop();
      }
    });
    try {
      executor.execute(() -> {
        if (future.isDone()) {
          return; // the ctx or the future was cancelled first: the supplier is skipped
        }
        BoundRun run = BoundRun.start(context, onCancel, site);
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
      onCtxCancel.remove();
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
   * One run of a task on the current thread: RUNNING → DONE, or, with {@link OnCancel#INTERRUPT},
   * RUNNING → INTERRUPTING → DONE when its ctx is cancelled. The interrupt is only delivered while the
   * task runs; the run waits for a delivery in progress and clears it before returning.
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

    /**
     * A run bound to the ctx. A ctx already cancelled registers nothing: the task is not running when
     * its request ended, so it is no leak; with {@link OnCancel#INTERRUPT} it starts interrupted.
     */
    static BoundRun start(Context context, OnCancel onCancel, @Nullable Throwable site) {
      RequestCtx ctx = RequestCtx.fromContext(context);
      BoundRun run = new BoundRun(context, ctx, onCancel, site);
      if (ctx.isCancelled()) {
        if (onCancel == OnCancel.INTERRUPT) {
          run.stop();
        }
        return run;
      }
      run.registration = ctx.onCancel(run::ctxCancelled);
      return run;
    }

    private void ctxCancelled(Throwable cause) {
      if (cause instanceof CtxClosedException && state.get() == RUNNING) {
        LeakDetection.report(new LeakReport(LeakReport.Kind.TASK_RUNNING_AFTER_CTX_END,
            "request " + ctx.requestId() + ", tier " + ctx.tier().name() + ", task on " + runner.getName(), site),
            CtxObservers.scopeObserverOf(ctx));
      }
      if (onCancel == OnCancel.INTERRUPT) {
        stop();
      }
    }

    /** With {@link OnCancel#INTERRUPT}, interrupts the runner if the task still runs. */
    void stop() {
      if (onCancel == OnCancel.INTERRUPT && state.compareAndSet(RUNNING, INTERRUPTING)) {
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
