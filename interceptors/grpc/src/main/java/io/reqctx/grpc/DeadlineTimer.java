package io.reqctx.grpc;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/** The one daemon thread that fires the deadlines of the {@link io.grpc.Context}s the server interceptor installs. */
final class DeadlineTimer {
  static final ScheduledExecutorService INSTANCE = create();

  private DeadlineTimer() {}

  private static ScheduledExecutorService create() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "reqctx-grpc-deadline-timer");
              thread.setDaemon(true);
              return thread;
            });
    // Most calls end before their deadline: drop their timers at once instead of at fire time.
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
