package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.testing.ContextHygieneExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each kind of leak, produced on purpose and caught (so this class cannot use the strict extension). */
@ExtendWith(ContextHygieneExtension.class)
@SuppressWarnings("MustBeClosedChecker") // the leaks under test
class LeakDetectionTest {
  private static final Duration BOUND = Duration.ofSeconds(10);
  private final List<LeakReport> leaks = new CopyOnWriteArrayList<>();
  private CtxObserver.Registration observer;
  private LeakDetection.Mode previousMode;

  @BeforeEach
  void watchLeaks() {
    previousMode = LeakDetection.mode();
    LeakDetection.setMode(LeakDetection.Mode.ALWAYS);
    observer = CtxObserver.register(new CtxObserver() {
      @Override
      public void onLeak(LeakReport leak) {
        leaks.add(leak);
      }
    });
  }

  @AfterEach
  void stopWatching() {
    observer.close();
    LeakDetection.setMode(previousMode);
  }

  private List<LeakReport> leaksOf(LeakReport.Kind kind) {
    return leaks.stream().filter(l -> l.kind() == kind).toList();
  }

  @Test
  void childOpenWhenItsParentClosesIsReportedWithItsCreationSiteAndCancelled() {
    CancellableCtx parent = CancellableCtx.newRoot(Tier.SERVICE).requestId("parent-1").open();
    CancellableCtx leaked = parent.child(Tier.CACHE);
    parent.child(Tier.CACHE).close();

    parent.close();

    assertThat(leaks).singleElement().satisfies(leak -> {
      assertThat(leak.kind()).isEqualTo(LeakReport.Kind.CHILD_OPEN_AT_PARENT_CLOSE);
      assertThat(leak.description()).contains("parent-1").contains("cache");
      assertThat(leak.creationSite().getStackTrace())
          .anyMatch(frame -> frame.getMethodName().contains("childOpenWhenItsParentCloses"));
    });
    assertThat(leaked.ctx().cancellationCause()).isInstanceOf(CancellationException.class)
        .hasMessageContaining("parent scope closed");
    leaked.close(); // closed already by the parent: reported once
    assertThat(leaks).hasSize(1);
  }

  @Test
  void scopeGarbageCollectedWhileOpenIsReported() {
    openAndDrop();
    await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> {
      System.gc();
      return !leaksOf(LeakReport.Kind.CTX_NEVER_CLOSED).isEmpty();
    });
    assertThat(leaksOf(LeakReport.Kind.CTX_NEVER_CLOSED).get(0).description()).contains("dropped-1");
  }

  @SuppressWarnings("MustBeClosedChecker") // the leak under test
  private static void openAndDrop() {
    CancellableCtx.newRoot(Tier.SERVICE).requestId("dropped-1").open();
  }

  @Test
  void closedScopeIsNotReportedWhenCollected() throws Exception {
    CancellableCtx.newRoot(Tier.SERVICE).requestId("closed-1").open().close();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.onSpinWait();
    }
    assertThat(leaksOf(LeakReport.Kind.CTX_NEVER_CLOSED)).noneMatch(l -> l.description().contains("closed-1"));
  }

  @Test
  void attachClosedOutOfOrderIsReported() throws Exception {
    onOwnThread(() -> {
      try (CancellableCtx a = CancellableCtx.newRoot(Tier.SERVICE).requestId("outer").open();
          CancellableCtx b = CancellableCtx.newRoot(Tier.SERVICE).requestId("inner").open()) {
        Scope first = a.makeCurrent();
        Scope second = b.makeCurrent();
        first.close();
        second.close();
      }
    });
    assertThat(leaksOf(LeakReport.Kind.ATTACH_CLOSED_OUT_OF_ORDER)).isNotEmpty()
        .first().satisfies(l -> assertThat(l.description()).contains("outer"));
  }

  @Test
  void attachClosedOnAnotherThreadFailsLoudlyAndTheRightCloseStillDetaches() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "pool-1"));
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).requestId("hopper").open()) {
      Scope attached = pool.submit(scope::makeCurrent).get(10, TimeUnit.SECONDS);

      assertThatThrownBy(attached::close)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("pool-1").hasMessageContaining(Thread.currentThread().getName());
      assertThat(leaksOf(LeakReport.Kind.ATTACH_CLOSED_ON_OTHER_THREAD)).singleElement()
          .satisfies(l -> assertThat(l.description()).contains("hopper").contains("closed on " + Thread.currentThread().getName()));
      assertThat(pool.submit(() -> RequestCtx.current().requestId()).get(10, TimeUnit.SECONDS))
          .as("still attached on the thread that attached it").isEqualTo("hopper");

      pool.submit(attached::close).get(10, TimeUnit.SECONDS);

      assertThat(pool.submit(() -> Context.current() == Context.root()).get(10, TimeUnit.SECONDS))
          .as("the pool thread is clean again").isTrue();
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void attachNeverClosedIsReportedWhenCollected() throws Exception {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).requestId("forgotten").open()) {
      onOwnThread(() -> attachAndForget(scope));
      await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> {
        System.gc();
        return !leaksOf(LeakReport.Kind.ATTACH_NEVER_CLOSED).isEmpty();
      });
    }
    assertThat(leaksOf(LeakReport.Kind.ATTACH_NEVER_CLOSED).get(0).description()).contains("forgotten");
  }

  @SuppressWarnings("MustBeClosedChecker") // the leak under test
  private static void attachAndForget(CancellableCtx scope) {
    scope.makeCurrent();
  }

  @Test
  void taskStillRunningWhenItsScopeClosesIsReported() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).requestId("busy").open();
          Scope ignored = scope.makeCurrent()) {
        CtxExecutors.wrap(pool).execute(() -> {
          running.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(leaksOf(LeakReport.Kind.TASK_RUNNING_AFTER_CTX_END)).singleElement().satisfies(l -> {
        assertThat(l.description()).contains("busy");
        assertThat(l.creationSite().getStackTrace())
            .anyMatch(frame -> frame.getMethodName().contains("taskStillRunningWhenItsScopeCloses"));
      });
    } finally {
      release.countDown();
      pool.shutdown();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void offModeStillReportsLeaksFoundAtCloseButWithoutSite() {
    LeakDetection.setMode(LeakDetection.Mode.OFF);
    CancellableCtx parent = CancellableCtx.newRoot(Tier.SERVICE).open();
    parent.child(Tier.CACHE);
    parent.close();
    assertThat(leaks).singleElement().satisfies(l -> {
      assertThat(l.creationSite()).isNull();
      assertThat(l.message()).contains("-Dreqctx.leaks=always");
    });
  }

  @Test
  void aLeakFoundOutsideTheSdkIsReportedToObserversLikeItsOwn() {
    LeakDetection.report(new LeakReport(LeakReport.Kind.VALUE_RETAINED_AFTER_CTX_END, "request retained-1, tier SERVICE", null));

    assertThat(leaksOf(LeakReport.Kind.VALUE_RETAINED_AFTER_CTX_END)).singleElement().satisfies(l -> {
      assertThat(l.message()).contains("still reachable after its request ended").contains("retained-1")
          .doesNotContain("-Dreqctx.leaks=always"); // no creation site would tell who holds it
    });
  }

  private static void onOwnThread(ThrowingRunnable body) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "leak-test-thread");
    t.start();
    t.join(BOUND.toMillis());
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }
}
