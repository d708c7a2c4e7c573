package io.reqctx.grpc.internal;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Not API: shared by reqctx-grpc and reqctx-armeria, may change in any release.
 *
 * <p>The scheduler handed to {@link io.grpc.Context#withDeadline}: it never fires. A context made with
 * it carries a deadline for code to read and never enforces it: the call's request scope arms the one
 * timer a call needs, and the scope's cancel cancels the grpc context (see {@code ServerCallBinding}).
 * A second, redundant timer per call cost measurable time on the call path (docs/BENCHMARKS.md), and
 * two timers for one deadline race each other.
 */
public final class NeverFiringScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  /** The one instance; stateless. */
  public static final NeverFiringScheduler INSTANCE = new NeverFiringScheduler();

  private NeverFiringScheduler() {}

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return NeverFires.INSTANCE;
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("only io.grpc.Context deadlines use this scheduler");
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("only io.grpc.Context deadlines use this scheduler");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("only io.grpc.Context deadlines use this scheduler");
  }

  @Override
  public void execute(Runnable command) {
    throw new UnsupportedOperationException("only io.grpc.Context deadlines use this scheduler");
  }

  @Override
  public void shutdown() {}

  @Override
  public List<Runnable> shutdownNow() {
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return false;
  }

  /** The handle of a task that is never run. */
  private static final class NeverFires implements ScheduledFuture<Object> {
    static final NeverFires INSTANCE = new NeverFires();

    @Override
    public long getDelay(TimeUnit unit) {
      return Long.MAX_VALUE;
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return false;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public boolean isDone() {
      return false;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException("a deadline task of a grpc context is never run");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("a deadline task of a grpc context is never run");
    }
  }
}
