package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Where the hops of one process report when they finish. The embedded demo shares one log between
 * its four servers and reads each request's hops back with {@link #awaitReports}; a served tier
 * hands each report to a listener (it prints it) and keeps none, so its memory stays flat however
 * long it runs.
 *
 * <pre>{@code
 * HopLog demo = new HopLog();                                         // keeps the last reports for awaitReports
 * HopLog served = new HopLog(report -> System.out.println(report.hop()));  // keeps nothing
 * List<HopReport> hops = demo.awaitReports(4, Duration.ofSeconds(5));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class HopLog {
  /** A keeping log holds at most this many unread reports; older ones are dropped. */
  public static final int MAX_KEPT = 1024;

  private final Consumer<HopReport> listener;
  private final boolean keeps;
  private final ArrayDeque<HopReport> reports = new ArrayDeque<>();

  /** A log that keeps the last {@value #MAX_KEPT} reports until they are read. */
  public HopLog() {
    this.listener = report -> {};
    this.keeps = true;
  }

  /** A log that hands each report to {@code listener} as it arrives and keeps none. */
  public HopLog(Consumer<HopReport> listener) {
    this.listener = requireNonNull(listener, "listener");
    this.keeps = false;
  }

  void report(HopReport report) {
    if (keeps) {
      synchronized (reports) {
        if (reports.size() == MAX_KEPT) {
          reports.removeFirst();
        }
        reports.addLast(report);
        reports.notifyAll();
      }
    }
    listener.accept(report);
  }

  /** How many reports the log holds now. */
  public int kept() {
    synchronized (reports) {
      return reports.size();
    }
  }

  /**
   * Waits until {@code count} reports are kept (or {@code timeout} passed), then takes every kept
   * report out of the log, in the order the hops started.
   *
   * @throws IllegalStateException on a log that keeps nothing
   */
  public List<HopReport> awaitReports(int count, Duration timeout) throws InterruptedException {
    if (!keeps) {
      throw new IllegalStateException("this HopLog hands its reports to a listener and keeps none: create it with new HopLog()");
    }
    long until = System.nanoTime() + timeout.toNanos();
    synchronized (reports) {
      long left;
      while (reports.size() < count && (left = until - System.nanoTime()) > 0) {
        TimeUnit.NANOSECONDS.timedWait(reports, left);
      }
      List<HopReport> taken = new ArrayList<>(reports);
      reports.clear();
      taken.sort((a, b) -> Long.compare(a.startNanos(), b.startNanos()));
      return taken;
    }
  }
}
