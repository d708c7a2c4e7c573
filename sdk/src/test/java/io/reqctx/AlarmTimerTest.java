package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The system ticker's timer. Alarms that must fire are a few milliseconds away and awaited with
 * generous bounds; alarms that must not are an hour away, so no assertion depends on the machine's speed.
 */
class AlarmTimerTest {
  private static final long HOUR = TimeUnit.HOURS.toNanos(1);
  private final AlarmTimer timer = new AlarmTimer("alarm-timer-test");

  @Test
  void alarmsFireInTheOrderOfTheirTimesWhateverTheOrderTheyWereArmedIn() throws Exception {
    List<String> fired = new CopyOnWriteArrayList<>();
    CountDownLatch all = new CountDownLatch(3);
    timer.schedule(() -> { fired.add("30ms"); all.countDown(); }, TimeUnit.MILLISECONDS.toNanos(30));
    timer.schedule(() -> { fired.add("now"); all.countDown(); }, 0);
    timer.schedule(() -> { fired.add("10ms"); all.countDown(); }, TimeUnit.MILLISECONDS.toNanos(10));
    assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(fired).containsExactly("now", "10ms", "30ms");
  }

  @Test
  void anEarlierAlarmWakesTheThreadThatSleepsUntilALaterOne() throws Exception {
    timer.schedule(() -> {}, HOUR);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.wakeUps() >= 1); // asleep until the hour
    CountDownLatch fired = new CountDownLatch(1);
    timer.schedule(fired::countDown, TimeUnit.MILLISECONDS.toNanos(5));
    assertThat(fired.await(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCancelledAlarmNeverFiresAndTheNextOneStill() throws Exception {
    List<String> fired = new CopyOnWriteArrayList<>();
    CountDownLatch later = new CountDownLatch(1);
    Ticker.Alarm cancelled = timer.schedule(() -> fired.add("cancelled"), TimeUnit.MILLISECONDS.toNanos(5));
    timer.schedule(() -> { fired.add("later"); later.countDown(); }, TimeUnit.MILLISECONDS.toNanos(40));
    cancelled.cancel();
    assertThat(later.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(fired).containsExactly("later");
  }

  @Test
  void aCancelledAlarmKeepsNothingOfItsTaskReachable() {
    Object scope = new Object();
    WeakReference<Object> ref = new WeakReference<>(scope);
    Ticker.Alarm alarm = timer.schedule(new Holder(scope)::run, HOUR);
    scope = null;
    alarm.cancel();
    Reachability.awaitCollected(ref, "the task of a cancelled alarm an hour away");
    assertThat(timer.entries()).isZero();
  }

  @Test
  void armingAndCancellingManyAlarmsWakesTheThreadNoMoreThanOnceOrTwice() {
    timer.schedule(() -> {}, HOUR);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.wakeUps() >= 1);
    long before = timer.wakeUps();
    for (int i = 0; i < 20_000; i++) { // requests with similar budgets, each done before its deadline
      timer.schedule(() -> {}, HOUR + i).cancel();
    }
    // A ScheduledThreadPoolExecutor removing cancelled tasks signals its thread for most of these.
    assertThat(timer.wakeUps() - before).isLessThanOrEqualTo(2);
    assertThat(timer.entries()).isEqualTo(1); // cancelled alarms leave the heap at once
  }

  @Test
  void underConcurrentArmingAndCancellingEveryAlarmNotCancelledFiresExactlyOnce() throws Exception {
    int threads = 8;
    int perThread = 5_000;
    java.util.concurrent.atomic.AtomicIntegerArray fired = new java.util.concurrent.atomic.AtomicIntegerArray(threads * perThread);
    java.util.concurrent.atomic.AtomicIntegerArray cancelled = new java.util.concurrent.atomic.AtomicIntegerArray(threads * perThread);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int base = t * perThread;
        done.add(pool.submit(() -> {
          java.util.SplittableRandom random = new java.util.SplittableRandom(base);
          for (int i = 0; i < perThread; i++) {
            int id = base + i;
            // A mix of alarms: due at once, within milliseconds, and far away; most cancelled, as deadlines are.
            long delay = switch (random.nextInt(3)) {
              case 0 -> 0;
              case 1 -> random.nextLong(TimeUnit.MILLISECONDS.toNanos(5));
              default -> HOUR;
            };
            Ticker.Alarm alarm = timer.schedule(() -> fired.incrementAndGet(id), delay);
            if (delay == HOUR || random.nextBoolean()) {
              alarm.cancel();
              cancelled.set(id, 1);
            }
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdown();
    }
    // A cancel may come after the alarm fired (delay 0): such an alarm fired once and counts as fired.
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      for (int id = 0; id < fired.length(); id++) {
        if (cancelled.get(id) == 0 && fired.get(id) != 1) {
          return false;
        }
      }
      return true;
    });
    for (int id = 0; id < fired.length(); id++) {
      assertThat(fired.get(id)).as("alarm %d", id).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void aTaskThatThrowsLeavesTheTimerRunning() throws Exception {
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    CountDownLatch next = new CountDownLatch(1);
    try {
      Thread.setDefaultUncaughtExceptionHandler((t, e) -> reported.add(e));
      timer.schedule(() -> { throw new IllegalStateException("boom"); }, 0);
      timer.schedule(next::countDown, TimeUnit.MILLISECONDS.toNanos(5));
      assertThat(next.await(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(previous);
    }
    assertThat(reported).extracting(Throwable::getMessage).containsExactly("boom");
  }

  @Test
  void delaysBeyondAHundredYearsAreKeptInOrder() throws Exception {
    List<String> fired = new ArrayList<>();
    Ticker.Alarm forever = timer.schedule(() -> fired.add("never"), Long.MAX_VALUE);
    CountDownLatch soon = new CountDownLatch(1);
    timer.schedule(soon::countDown, TimeUnit.MILLISECONDS.toNanos(5));
    assertThat(soon.await(30, TimeUnit.SECONDS)).isTrue();
    forever.cancel();
    assertThat(fired).isEmpty();
  }

  private record Holder(Object scope) {
    void run() {
      scope.hashCode();
    }
  }
}
