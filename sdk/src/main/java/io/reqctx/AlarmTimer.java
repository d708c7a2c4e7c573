package io.reqctx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The timer behind {@link Ticker#system()}: one daemon thread and a binary heap of alarms ordered by
 * fire time, built for alarms that are nearly always cancelled long before they fire, as a request's
 * deadline is. Arming an alarm wakes the thread only when the alarm fires before the time the thread
 * already sleeps until; cancelling one removes it and never wakes the thread.
 *
 * <p>So a stream of requests with similar budgets costs about two thread wake-ups per budget's length
 * rather than one per request: the thread sleeps until the earliest alarm it knew of, finds it gone,
 * and sleeps until the next one armed. A {@code ScheduledThreadPoolExecutor} signals its thread
 * whenever a new task becomes the head of its queue, which is every request when each request's alarm
 * is cancelled before the next one is armed. Tasks run on the timer thread, one at a time, in
 * fire-time order; a task that throws is reported to the thread's uncaught-exception handler and the
 * timer goes on.
 */
final class AlarmTimer {
  private static final long MAX_DELAY_NANOS = 1L << 62;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock: the heap, and what the thread is doing.
  private Entry[] heap = new Entry[64];
  private int size;
  private long sequence;
  /** The nanoTime the thread sleeps until; meaningless while {@link #parkedForever} or {@link #awake}. */
  private long sleepsUntil;
  private boolean parkedForever = true;
  private boolean awake;

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
      add(entry);
      wake = !awake && (parkedForever || fireAt - sleepsUntil < 0);
      if (wake) {
        parkedForever = false;
        sleepsUntil = fireAt;
      }
    } finally {
      lock.unlock();
    }
    if (wake) {
      LockSupport.unpark(thread);
    }
    return entry;
  }

  private void loop() {
    List<Runnable> due = new ArrayList<>();
    while (true) {
      long parkNanos = 0;
      lock.lock();
      try {
        wakeUps++; // only this thread writes it
        long now = System.nanoTime();
        while (size > 0 && heap[0].fireAt - now <= 0) {
          Runnable task = removeAt(0).take();
          if (task != null) { // null: cancelled while it was being removed here
            due.add(task);
          }
        }
        awake = !due.isEmpty();
        parkedForever = !awake && size == 0;
        if (!awake && size > 0) {
          sleepsUntil = heap[0].fireAt;
          parkNanos = sleepsUntil - now;
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

  /** The alarms armed and neither fired nor cancelled. */
  int entries() {
    lock.lock();
    try {
      return size;
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

  // ---- the heap, under the lock; each entry knows its index, so a cancel removes it in O(log n) ----

  private void add(Entry entry) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    siftUp(size++, entry);
  }

  private Entry removeAt(int index) {
    Entry removed = heap[index];
    int last = --size;
    Entry moved = heap[last];
    heap[last] = null;
    removed.index = -1;
    if (last != index) {
      siftDown(index, moved);
      if (heap[index] == moved) {
        siftUp(index, moved);
      }
    }
    return removed;
  }

  private void siftUp(int index, Entry entry) {
    int k = index;
    while (k > 0) {
      int parent = (k - 1) >>> 1;
      Entry above = heap[parent];
      if (compare(entry, above) >= 0) {
        break;
      }
      place(k, above);
      k = parent;
    }
    place(k, entry);
  }

  private void siftDown(int index, Entry entry) {
    int k = index;
    int half = size >>> 1;
    while (k < half) {
      int child = 2 * k + 1;
      int right = child + 1;
      if (right < size && compare(heap[right], heap[child]) < 0) {
        child = right;
      }
      Entry below = heap[child];
      if (compare(entry, below) <= 0) {
        break;
      }
      place(k, below);
      k = child;
    }
    place(k, entry);
  }

  private void place(int index, Entry entry) {
    heap[index] = entry;
    entry.index = index;
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
    long sequence; // guarded by the timer's lock
    int index = -1; // in the heap; -1 when not in it; guarded by the timer's lock
    @SuppressWarnings("unused") // accessed through TASK
    private volatile @Nullable Runnable task;

    Entry(Runnable task, long fireAt) {
      this.task = task;
      this.fireAt = fireAt;
    }

    @Nullable Runnable take() {
      return (Runnable) TASK.getAndSet(this, null);
    }

    @Override
    public void cancel() {
      if (take() == null) {
        return; // fired, or cancelled already
      }
      lock.lock();
      try {
        if (index >= 0) {
          removeAt(index);
        }
      } finally {
        lock.unlock();
      }
    }
  }
}
