package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class CancellationConcurrencyTest {
  private static final int THREADS = 16;
  private static final ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);

  @AfterAll
  static void shutDown() {
    pool.shutdownNow();
  }

  @RepeatedTest(20)
  void sixteenThreadsCancellingAtOnceRunEachListenerExactlyOnceWithTheWinningCause() throws Exception {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      int listenerCount = 50;
      AtomicInteger[] runs = new AtomicInteger[listenerCount];
      List<Throwable> seen = new CopyOnWriteArrayList<>();
      for (int i = 0; i < listenerCount; i++) {
        AtomicInteger counter = runs[i] = new AtomicInteger();
        scope.ctx().onCancel(cause -> {
          counter.incrementAndGet();
          seen.add(cause);
        });
      }
      CyclicBarrier start = new CyclicBarrier(THREADS);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        RuntimeException cause = new RuntimeException("thread " + t);
        done.add(pool.submit(() -> {
          start.await();
          scope.cancel(cause);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(10, TimeUnit.SECONDS);
      }

      Throwable winner = scope.ctx().cancellationCause();
      assertThat(winner).isNotNull();
      for (AtomicInteger counter : runs) {
        assertThat(counter).hasValue(1);
      }
      assertThat(seen).hasSize(listenerCount).allMatch(cause -> cause == winner);
    }
  }

  @RepeatedTest(20)
  @SuppressWarnings("MustBeClosedChecker") // the scopes are collected and closed after the race
  void parentCancelledWhileChildrenAreCreatedLeavesEveryChildCancelled() throws Exception {
    // A fake ticker: the children's tier caps never run out on a loaded machine, only the cancel ends them.
    CancellableCtx parent = CancellableCtx.newRoot(Tier.SERVICE).ticker(new FakeTicker()).open();
    Set<CancellableCtx> children = ConcurrentHashMap.newKeySet();
    CountDownLatch someChildren = new CountDownLatch(THREADS);
    CyclicBarrier start = new CyclicBarrier(THREADS + 1);
    List<Future<?>> creators = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      creators.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < 200; i++) {
          children.add(parent.child(Tier.CACHE));
          if (i == 10) {
            someChildren.countDown();
          }
        }
        return null;
      }));
    }
    start.await();
    someChildren.await(10, TimeUnit.SECONDS);
    parent.cancel(new RuntimeException("caller left"));
    for (Future<?> f : creators) {
      f.get(10, TimeUnit.SECONDS);
    }

    assertThat(children).hasSize(THREADS * 200)
        .allSatisfy(child -> assertThat(child.ctx().cancellationCause()).hasMessage("caller left"));
    children.forEach(CancellableCtx::close);
    parent.close();
  }
}
