package io.reqctx;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** {@link Ticker#system()}: {@code System.nanoTime()} and one daemon timer thread for every scope. */
final class SystemTicker implements Ticker {
  static final SystemTicker INSTANCE = new SystemTicker();

  private final ScheduledThreadPoolExecutor timer;

  private SystemTicker() {
    timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "reqctx-deadline-timer");
              t.setDaemon(true);
              return t;
            });
    // A cancelled alarm must not keep its scope reachable until its original fire time.
    timer.setRemoveOnCancelPolicy(true);
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Alarm schedule(Runnable task, long delayNanos) {
    var future = timer.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  @Override
  public String toString() {
    return "Ticker.system()";
  }
}
