package io.reqctx;

/**
 * A monotonic time source that can also fire an alarm when a point in its time is reached. Deadlines
 * read it; scopes arm an alarm on it so that a deadline cancels its scope. Injecting a fake one (see
 * {@code io.reqctx.testing.FakeTicker}) lets tests move time instead of sleeping.
 *
 * <pre>{@code
 * Ticker ticker = Ticker.system();
 * Deadline deadline = Deadline.after(Duration.ofMillis(300), ticker);
 * Ticker.Alarm alarm = ticker.schedule(() -> log.info("300 ms passed"), deadline.remainingNanos());
 * alarm.cancel();
 * }</pre>
 */
public interface Ticker {

  /** The current reading in nanoseconds; only differences between readings mean anything. */
  long nanoTime();

  /**
   * Runs {@code task} once, as soon as {@code delayNanos} have passed on this ticker. The task must be
   * quick and must not block: it runs on a shared timer thread (or on the thread advancing a fake ticker).
   */
  Alarm schedule(Runnable task, long delayNanos);

  /** The JVM's {@link System#nanoTime()} with one shared daemon timer thread. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }

  /** A pending alarm; cancelling it after it fired does nothing. */
  @FunctionalInterface
  interface Alarm {
    /** Stops the alarm from firing if it has not fired yet. Idempotent. */
    void cancel();
  }
}
