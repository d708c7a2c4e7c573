package io.reqctx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The timer behind {@link Ticker#system()}: one daemon thread and a heap of alarms ordered by fire
 * time, built for alarms that are nearly always cancelled long before they fire, as a request's
 * deadline is.
 *
 * <ul>
 *   <li>Cancelling an alarm only drops its task (so nothing it refers to stays reachable); the empty
 *       entry leaves the heap when it reaches the top, or when such entries outnumber the live ones.
 *   <li>Arming an alarm wakes the thread only when the alarm fires before the time the thread already
 *       sleeps until.
 * </ul>
 *
 * <p>So a stream of requests with similar budgets costs no thread wake-up per request: the thread
 * sleeps until the earliest alarm it knew of, finds it cancelled, and sleeps again until the next live
 * one. A {@code ScheduledThreadPoolExecutor} that removes cancelled tasks signals its thread for every
 * request instead, because each new alarm becomes the head of a queue its predecessor's cancellation
 * emptied. Tasks run on the timer thread, one at a time, in fire-time order; a task that throws is
 * reported to the thread's uncaught-exception handler and the timer goes on.
 */
final class AlarmTimer {
  /** Empty entries tolerated before the heap is swept, whatever the number of live ones. */
  private static final int SWEEP_THRESHOLD = 4096;
  private static final long MAX_DELAY_NANOS = 1L << 62;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final PriorityQueue<Entry> heap = new PriorityQueue<>(256, AlarmTimer::compare);
  private long sequence;
  /** The nanoTime the thread sleeps until; meaningless while {@link #parkedForever} or awake. */
  private long sleepsUntil;
  private boolean parkedForever = true;
  private boolean awake;

  /** Cancelled entries still in the heap (approximately: cancel does not take the lock). */
  private final AtomicInteger empty = new AtomicInteger();
  private final Thread thread;
  /** How often the thread woke up and looked at the heap (for tests). */
  private volatile long wakeUps;

  AlarmTimer(String threadName) {
    thread = new Thread(this::loop, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  /** Runs {@code task} on the timer thread {@code delayNanos} from now (at once when zero or less). */
  Ticker.Alarm schedule(Runnable task, long delayNanos) {
    // At most 2^62 ns (146 years) ahead, so that fire times compare by difference even as nanoTime wraps.
    long fireAt = System.nanoTime() + Math.min(Math.max(0, delayNanos), MAX_DELAY_NANOS);
    Entry entry = new Entry(task, fireAt);
    boolean wake;
    lock.lock();
    try {
      entry.sequence = sequence++;
      heap.add(entry);
      wake = !awake && (parkedForever || fireAt - sleepsUntil < 0);
      if (wake) {
        parkedForever = false;
        sleepsUntil = fireAt;
      }
      int emptyEntries = empty.get();
      if (emptyEntries > SWEEP_THRESHOLD && emptyEntries > heap.size() / 2) {
        sweep();
      }
    } finally {
      lock.unlock();
    }
    if (wake) {
      LockSupport.unpark(thread);
    }
    return entry;
  }

  /** Removes every cancelled entry from the heap. Called under the lock. */
  private void sweep() {
    int before = heap.size();
    heap.removeIf(Entry::isEmpty);
    empty.addAndGet(heap.size() - before);
  }

  private void loop() {
    List<Runnable> due = new ArrayList<>();
    while (true) {
      long parkNanos;
      lock.lock();
      try {
        wakeUps++; // only this thread writes it
        long now = System.nanoTime();
        Entry head;
        while ((head = heap.peek()) != null) {
          if (head.isEmpty()) { // cancelled: drop it whenever it is due
            heap.poll();
            empty.decrementAndGet();
          } else if (head.fireAt - now <= 0) {
            heap.poll();
            Runnable task = head.take();
            if (task != null) {
              due.add(task);
            } else {
              empty.decrementAndGet(); // cancelled since it was looked at
            }
          } else {
            break;
          }
        }
        awake = !due.isEmpty();
        parkedForever = !awake && head == null;
        parkNanos = awake || head == null ? 0 : head.fireAt - now;
        if (!awake && head != null) {
          sleepsUntil = head.fireAt;
        }
      } finally {
        lock.unlock();
      }
      if (!due.isEmpty()) {
        for (Runnable task : due) {
          run(task);
        }
        due.clear();
      } else if (parkNanos > 0) {
        LockSupport.parkNanos(this, parkNanos);
      } else {
        LockSupport.park(this);
      }
    }
  }

  /** How many times the timer thread has looked at the heap since it started. */
  long wakeUps() {
    return wakeUps;
  }

  /** The entries in the heap, live and cancelled. */
  int entries() {
    lock.lock();
    try {
      return heap.size();
    } finally {
      lock.unlock();
    }
  }

  private void run(Runnable task) {
    try {
      task.run();
    } catch (Throwable t) { // the timer serves every request of the process: it must outlive any task
      thread.getUncaughtExceptionHandler().uncaughtException(thread, t);
    }
  }

  private static int compare(Entry a, Entry b) {
    int byTime = Long.signum(a.fireAt - b.fireAt); // nanoTime order, safe across its wrap-around
    return byTime != 0 ? byTime : Long.compare(a.sequence, b.sequence);
  }

  /** One armed alarm: its task until it fires or is cancelled, null after. */
  private final class Entry implements Ticker.Alarm {
    private static final VarHandle TASK;

    static {
      try {
        TASK = MethodHandles.lookup().findVarHandle(Entry.class, "task", Runnable.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final long fireAt;
    long sequence; // set under the lock before the entry is shared
    @SuppressWarnings("unused") // accessed through TASK
    private volatile @Nullable Runnable task;

    Entry(Runnable task, long fireAt) {
      this.task = task;
      this.fireAt = fireAt;
    }

    boolean isEmpty() {
      return task == null;
    }

    @Nullable Runnable take() {
      return (Runnable) TASK.getAndSet(this, null);
    }

    @Override
    public void cancel() {
      if (take() != null) {
        empty.incrementAndGet();
      }
    }
  }
}
