package io.reqctx;

/**
 * {@link Ticker#system()}: {@code System.nanoTime()} and one daemon timer thread for every scope, an
 * {@link AlarmTimer}: cancelling a request's deadline alarm never wakes it, arming one only when it is due first.
 */
final class SystemTicker implements Ticker {
  static final SystemTicker INSTANCE = new SystemTicker();

  private final AlarmTimer timer = new AlarmTimer("reqctx-deadline-timer");

  private SystemTicker() {}

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Alarm schedule(Runnable task, long delayNanos) {
    return timer.schedule(task, delayNanos);
  }

  @Override
  public String toString() {
    return "Ticker.system()";
  }
}
