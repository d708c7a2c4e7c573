package io.reqctx.testing;

import static java.util.Objects.requireNonNull;

import io.reqctx.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link Ticker} that only moves when told to. Alarms fire on the thread that calls
 * {@link #advance}, in time order, so deadline tests need no sleep.
 *
 * <pre>{@code
 * FakeTicker ticker = new FakeTicker();
 * try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofMillis(100)).open()) {
 *   ticker.advance(Duration.ofMillis(100));
 *   assertThat(scope.ctx().cancellationCause()).isInstanceOf(DeadlineExceededException.class);
 * }
 * }</pre>
 */
public final class FakeTicker implements Ticker {
  private final PriorityQueue<Pending> alarms = new PriorityQueue<>();
  private long now = 1_000_000_000L;
  private long sequence;

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public Alarm schedule(Runnable task, long delayNanos) {
    requireNonNull(task, "task");
    Pending pending;
    synchronized (this) {
      pending = new Pending(now + Math.max(0, delayNanos), sequence++, task);
      alarms.add(pending);
    }
    if (delayNanos <= 0) {
      advance(Duration.ZERO);
    }
    return () -> {
      synchronized (FakeTicker.this) {
        alarms.remove(pending);
      }
    };
  }

  /** Moves time forward by {@code step} and fires the alarms that came due, in order. */
  public void advance(Duration step) {
    requireNonNull(step, "step");
    if (step.isNegative()) {
      throw new IllegalArgumentException("time only moves forward, got " + step);
    }
    List<Runnable> due = new ArrayList<>();
    synchronized (this) {
      now += step.toNanos();
      while (!alarms.isEmpty() && alarms.peek().at <= now) {
        due.add(alarms.poll().task);
      }
    }
    due.forEach(Runnable::run);
  }

  /** How many alarms are armed and not yet fired. */
  public synchronized int pendingAlarms() {
    return alarms.size();
  }

  @Override
  public String toString() {
    return "FakeTicker[" + pendingAlarms() + " alarms]";
  }

  private record Pending(long at, long seq, Runnable task) implements Comparable<Pending> {
    @Override
    public int compareTo(Pending o) {
      int byTime = Long.compare(at, o.at);
      return byTime != 0 ? byTime : Long.compare(seq, o.seq);
    }
  }
}
