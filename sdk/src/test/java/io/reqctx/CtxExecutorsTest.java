package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.testing.StrictLeakExtension;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class CtxExecutorsTest {
  private static final CtxKey<String> USER = CtxKey.local("user");
  private static final Duration BOUND = Duration.ofSeconds(10);
  // One thread, so a blocked first task keeps the next ones pending.
  private static final ExecutorService single = Executors.newSingleThreadExecutor();

  @AfterAll
  static void shutDown() {
    single.shutdownNow();
  }

  @Test
  void taskSeesTheSubmittersCtxAndThePoolThreadIsCleanAfterwards() throws Exception {
    Executor pool = CtxExecutors.wrap(single);
    AtomicReference<String> seenUser = new AtomicReference<>();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).value(USER, "ada").open();
        Scope ignored = scope.makeCurrent()) {
      CountDownLatch ran = new CountDownLatch(1);
      pool.execute(() -> {
        seenUser.set(RequestCtx.current().get(USER));
        ran.countDown();
      });
      assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
      single.submit(() -> { }).get(10, TimeUnit.SECONDS); // the task has returned, not just counted down
    }
    assertThat(seenUser).hasValue("ada");
    assertThat(single.submit(() -> Context.current() == Context.root()).get()).isTrue();
  }

  @Test
  void cancellingTheScopeSkipsPendingTasksAndInterruptsRunningOnes() throws Exception {
    Executor pool = CtxExecutors.wrap(single);
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean pendingRan = new AtomicBoolean();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        pool.execute(() -> {
          running.countDown();
          try {
            new CountDownLatch(1).await(); // blocks until interrupted
          } catch (InterruptedException e) {
            interrupted.set(true);
          }
        });
        pool.execute(() -> pendingRan.set(true));
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

      scope.cancel(new RuntimeException("caller left"));

      await().atMost(BOUND).untilTrue(interrupted);
    }
    // The pending task was skipped and the interrupt did not leak into the pool thread.
    assertThat(single.submit(() -> Thread.currentThread().isInterrupted()).get()).isFalse();
    assertThat(pendingRan).isFalse();
  }

  @Test
  void letRunModeSkipsPendingTasksButDoesNotInterrupt() throws Exception {
    Executor pool = CtxExecutors.wrap(single, CtxExecutors.OnCancel.LET_RUN);
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean finished = new AtomicBoolean();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        pool.execute(() -> {
          running.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
            finished.set(true);
          } catch (InterruptedException e) {
            interrupted.set(true);
          }
        });
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      scope.cancel();
      release.countDown();
      await().atMost(BOUND).untilTrue(finished);
    }
    assertThat(interrupted).isFalse();
  }

  @Test
  void wrappedCallableThrowsCancellationWhenTheRequestWasCancelledFirst() throws Exception {
    Callable<String> task;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      task = CtxExecutors.wrap(() -> "ran");
      scope.cancel(new RuntimeException("caller left"));
    }
    assertThatThrownBy(task::call).isInstanceOf(CancellationException.class).hasRootCauseMessage("caller left");
  }

  @Test
  void supplyAsyncFailsWhenTheRequestIsCancelledAndStopsTheTask() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    CompletableFuture<String> future;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        future = CtxExecutors.supplyAsync(() -> {
          running.countDown();
          try {
            new CountDownLatch(1).await();
            return "never";
          } catch (InterruptedException e) {
            interrupted.set(true);
            return "interrupted";
          }
        }, single);
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      scope.cancel(new RuntimeException("deadline"));
    }
    // CompletableFuture rethrows a CancellationException as it is, not wrapped.
    assertThatThrownBy(future::get).isInstanceOf(CancellationException.class).hasRootCauseMessage("deadline");
    await().atMost(BOUND).untilTrue(interrupted);
  }

  @Test
  void supplyAsyncCompletesWithTheValueAndSeesTheCtx() throws Exception {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).value(USER, "grace").open();
        Scope ignored = scope.makeCurrent()) {
      CompletableFuture<String> future = CtxExecutors.supplyAsync(() -> RequestCtx.current().get(USER), single);
      assertThat(future.get(10, TimeUnit.SECONDS)).isEqualTo("grace");
    }
  }

  @Test
  void closingTheScopeStopsWorkThatWasStillPending() throws Exception {
    Executor pool = CtxExecutors.wrap(single);
    CountDownLatch blocker = new CountDownLatch(1);
    single.execute(() -> {
      try {
        blocker.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    AtomicBoolean ran = new AtomicBoolean();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      pool.execute(() -> ran.set(true));
    }
    blocker.countDown();
    assertThat(single.submit(() -> ran.get()).get()).isFalse();
  }

  @Test
  void aWrappedTaskRunsEveryTimeItIsRun() {
    AtomicInteger runs = new AtomicInteger();
    Runnable task;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      task = CtxExecutors.wrap(() -> {
        runs.incrementAndGet();
      });
      task.run();
      task.run();
      task.run();
    }
    task.run(); // the request is over: skipped
    assertThat(runs).hasValue(3);
  }

  @Test
  void anInterruptTheThreadAlreadyHadIsKept() throws Exception {
    AtomicBoolean keptInside = new AtomicBoolean();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      Runnable task = CtxExecutors.wrap(() -> keptInside.set(Thread.currentThread().isInterrupted()));
      Thread.currentThread().interrupt();
      task.run();
      assertThat(Thread.interrupted()).as("interrupt still set after the task").isTrue();
    }
    assertThat(keptInside).isTrue();
  }
}
