package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.testing.StrictLeakExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
  void completableFutureOnAWrappedExecutorCompletesFromACancelledCtx() throws Exception {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      scope.cancel(new RuntimeException("caller left"));

      CompletableFuture<String> future = CompletableFuture.supplyAsync(() -> "ran", CtxExecutors.wrap(single));

      assertThat(future.get(10, TimeUnit.SECONDS)).isEqualTo("ran");
    }
  }

  @Test
  void aTaskQueuedWhenItsCtxIsCancelledStillRunsAndSeesTheCancel() throws Exception {
    Executor pool = CtxExecutors.wrap(single);
    CountDownLatch blocker = new CountDownLatch(1);
    single.execute(() -> awaitQuietly(blocker));
    AtomicBoolean sawCancel = new AtomicBoolean();
    CompletableFuture<Void> chain;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        chain = CompletableFuture.runAsync(() -> sawCancel.set(RequestCtx.current().isCancelled()), pool)
            .thenRun(() -> { });
      }
      scope.cancel(new RuntimeException("caller left"));
    }
    blocker.countDown();

    chain.get(10, TimeUnit.SECONDS);
    assertThat(sawCancel).isTrue();
  }

  @Test
  void byDefaultARunningTaskIsNotInterruptedAndItsChannelStaysOpen() throws Exception {
    Pipe pipe = Pipe.open();
    try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
      CountDownLatch reading = new CountDownLatch(1);
      AtomicReference<Object> outcome = new AtomicReference<>();
      AtomicBoolean sawCancel = new AtomicBoolean();
      try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
        try (Scope ignored = scope.makeCurrent()) {
          CtxExecutors.wrap(single).execute(() -> {
            reading.countDown();
            try {
              outcome.set(source.read(ByteBuffer.allocate(1))); // a shared connection, blocked reading
              sawCancel.set(RequestCtx.current().isCancelled());
            } catch (IOException e) {
              outcome.set(e);
            }
          });
        }
        assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
        scope.cancel(new RuntimeException("caller left"));
        sink.write(ByteBuffer.wrap(new byte[] {1}));
        await().atMost(BOUND).until(() -> outcome.get() != null);
      }
      assertThat(outcome).hasValue(1);
      assertThat(sawCancel).isTrue();
      assertThat(source.isOpen()).isTrue();
    }
  }

  @Test
  void interruptModeInterruptsARunningTaskAndTheInterruptDoesNotLeakIntoThePool() throws Exception {
    Executor pool = CtxExecutors.wrap(single, CtxExecutors.OnCancel.INTERRUPT);
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
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
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

      scope.cancel(new RuntimeException("caller left"));

      await().atMost(BOUND).untilTrue(interrupted);
    }
    assertThat(single.submit(() -> Thread.currentThread().isInterrupted()).get()).isFalse();
  }

  @Test
  void interruptModeStartsATaskWhoseCtxIsAlreadyCancelledInterrupted() throws Exception {
    AtomicBoolean interruptedInside = new AtomicBoolean();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      scope.cancel();
      CtxExecutors.wrap(() -> interruptedInside.set(Thread.currentThread().isInterrupted()),
          CtxExecutors.OnCancel.INTERRUPT).run();
    }
    assertThat(interruptedInside).isTrue();
    assertThat(Thread.currentThread().isInterrupted()).as("cleared after the task").isFalse();
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
  void supplyAsyncFailsAtOnceWhenTheCtxIsCancelledAndLetsTheSupplierFinishByDefault() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean finishedUninterrupted = new AtomicBoolean();
    CompletableFuture<String> future;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        future = CtxExecutors.supplyAsync(() -> {
          running.countDown();
          boolean released = awaitQuietly(release);
          finishedUninterrupted.set(released && !Thread.currentThread().isInterrupted());
          return "late";
        }, single);
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      scope.cancel(new RuntimeException("deadline"));

      assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS))
          .isInstanceOf(CancellationException.class).hasRootCauseMessage("deadline");
      release.countDown();
      await().atMost(BOUND).untilTrue(finishedUninterrupted);
    }
  }

  @Test
  void supplyAsyncSkipsASupplierStillQueuedWhenItsCtxIsCancelled() throws Exception {
    CountDownLatch blocker = new CountDownLatch(1);
    single.execute(() -> awaitQuietly(blocker));
    AtomicBoolean ran = new AtomicBoolean();
    CompletableFuture<Boolean> future;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        future = CtxExecutors.supplyAsync(() -> ran.getAndSet(true), single);
      }
      scope.cancel(new RuntimeException("caller left"));
    }
    blocker.countDown();

    assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
    assertThat(single.submit(ran::get).get(10, TimeUnit.SECONDS)).isFalse();
  }

  @Test
  void supplyAsyncInInterruptModeFailsAndInterruptsTheSupplier() throws Exception {
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
        }, single, CtxExecutors.OnCancel.INTERRUPT);
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
    task.run(); // the request is over: it still runs, with the ended ctx current
    assertThat(runs).hasValue(4);
  }

  @Test
  void aWrappedCallableInInterruptModeIsInterruptedWhenItsCtxIsCancelled() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    Future<String> result;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        Callable<String> task = CtxExecutors.wrap(() -> {
          running.countDown();
          try {
            new CountDownLatch(1).await();
            return "never";
          } catch (InterruptedException e) {
            return "interrupted";
          }
        }, CtxExecutors.OnCancel.INTERRUPT);
        result = single.submit(task);
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      scope.cancel();
      assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("interrupted");
    }
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

  private static boolean awaitQuietly(CountDownLatch latch) {
    try {
      return latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
