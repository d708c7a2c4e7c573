package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Where the hops of one process report when they finish. The embedded demo shares one log between
 * its four servers and reads each request's hops back with {@link #awaitReports}; a served tier
 * prints each report as it arrives.
 *
 * <pre>{@code
 * HopLog log = new HopLog(report -> System.out.println(report.hop()));
 * List<HopReport> hops = log.awaitReports(4, Duration.ofSeconds(5));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class HopLog {
  private final Consumer<HopReport> listener;
  private final List<HopReport> reports = new ArrayList<>();

  /** A log that keeps reports until they are read. */
  public HopLog() {
    this(report -> {});
  }

  /** A log that also hands each report to {@code listener} as it arrives. */
  public HopLog(Consumer<HopReport> listener) {
    this.listener = requireNonNull(listener, "listener");
  }

  void report(HopReport report) {
    synchronized (reports) {
      reports.add(report);
      reports.notifyAll();
    }
    listener.accept(report);
  }

  /**
   * Waits until {@code count} reports are kept (or {@code timeout} passed), then takes every kept
   * report out of the log, in the order the hops started.
   */
  public List<HopReport> awaitReports(int count, Duration timeout) throws InterruptedException {
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
