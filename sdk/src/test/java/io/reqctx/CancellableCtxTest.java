package io.reqctx;

import com.google.errorprone.annotations.MustBeClosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.context.Scope;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class CancellableCtxTest {
  private final FakeTicker ticker = new FakeTicker();
  @MustBeClosed
  private CancellableCtx service(Duration budget) {
    return CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(budget).requestId("req-1").open();
  }

  @Test
  void childDeadlineNeverExceedsParent() {
    try (CancellableCtx parent = service(Duration.ofMillis(300));
        CancellableCtx byTier = parent.child(Tier.CACHE);
        CancellableCtx byBudget = parent.child(Duration.ofSeconds(10));
        CancellableCtx shorter = parent.child(Duration.ofMillis(50))) {
      Deadline parentDeadline = parent.ctx().deadline().orElseThrow();
      assertThat(byTier.ctx().deadline()).contains(parentDeadline);
      assertThat(byBudget.ctx().deadline()).contains(parentDeadline);
      assertThat(shorter.ctx().remainingBudget()).contains(Duration.ofMillis(50));
      assertThat(byTier.ctx().tier()).isSameAs(Tier.CACHE);
      assertThat(byBudget.ctx().tier()).isSameAs(Tier.SERVICE);
      assertThat(byTier.ctx().requestId()).isEqualTo("req-1");
    }
  }

  @Test
  void childOfAParentWithoutDeadlineGetsItsTierCap() {
    try (CancellableCtx parent = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).open();
        CancellableCtx child = parent.child(Tier.CACHE)) {
      assertThat(parent.ctx().deadline()).isEmpty();
      assertThat(child.ctx().remainingBudget()).contains(Duration.ofMillis(800));
    }
  }

  @Test
  void deadlineCancelsTheScopeAndItsChildrenWhenItPasses() {
    try (CancellableCtx parent = service(Duration.ofMillis(100)); CancellableCtx child = parent.child(Tier.CACHE)) {
      ticker.advance(Duration.ofMillis(99));
      assertThat(parent.ctx().isCancelled()).isFalse();

      ticker.advance(Duration.ofMillis(1));

      assertThat(parent.ctx().cancellationCause()).isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("100ms");
      assertThat(child.ctx().isCancelled()).isTrue();
    }
  }

  @Test
  void anExpiredBudgetCancelsAtOnce() {
    try (CancellableCtx scope = service(Duration.ZERO)) {
      assertThat(scope.ctx().cancellationCause()).isInstanceOf(DeadlineExceededException.class);
    }
  }

  @Test
  @SuppressWarnings("MustBeClosedChecker") // closed by hand to look at the state after close
  void closingDisarmsTheDeadlineAlarm() {
    CancellableCtx scope = service(Duration.ofMillis(100));
    assertThat(ticker.pendingAlarms()).isEqualTo(1);
    scope.close();
    assertThat(ticker.pendingAlarms()).isZero();
  }

  @Test
  void cancelIsIdempotentAndTheFirstCauseStays() {
    try (CancellableCtx scope = service(Duration.ofSeconds(1))) {
      AtomicInteger runs = new AtomicInteger();
      scope.ctx().onCancel(cause -> runs.incrementAndGet());
      RuntimeException first = new RuntimeException("first");

      scope.cancel(first);
      scope.cancel(new RuntimeException("second"));
      scope.cancel();

      assertThat(runs).hasValue(1);
      assertThat(scope.ctx().cancellationCause()).isSameAs(first);
    }
  }

  @Test
  void listenerAddedAfterCancelRunsAtOnceAndRemovedListenerNeverRuns() {
    try (CancellableCtx scope = service(Duration.ofSeconds(1))) {
      List<Throwable> seen = new ArrayList<>();
      RequestCtx.CancelRegistration removed = scope.ctx().onCancel(seen::add);
      assertThat(removed.remove()).isTrue();

      scope.cancel(new RuntimeException("gone"));
      RequestCtx.CancelRegistration late = scope.ctx().onCancel(seen::add);

      assertThat(seen).singleElement().extracting(Throwable::getMessage).isEqualTo("gone");
      assertThat(late.remove()).isFalse();
    }
  }

  @Test
  void parentCancelCascadesToChildrenWithTheSameCause() {
    try (CancellableCtx parent = service(Duration.ofSeconds(1));
        CancellableCtx child = parent.child(Tier.CACHE);
        CancellableCtx grandchild = child.child(Duration.ofMillis(10))) {
      RuntimeException cause = new RuntimeException("caller left");
      parent.cancel(cause);
      assertThat(child.ctx().cancellationCause()).isSameAs(cause);
      assertThat(grandchild.ctx().cancellationCause()).isSameAs(cause);
    }
  }

  @Test
  void childCancelDoesNotCancelTheParent() {
    try (CancellableCtx parent = service(Duration.ofSeconds(1)); CancellableCtx child = parent.child(Tier.CACHE)) {
      child.cancel();
      assertThat(parent.ctx().isCancelled()).isFalse();
    }
  }

  @Test
  void childOfACancelledParentStartsCancelled() {
    try (CancellableCtx parent = service(Duration.ofSeconds(1))) {
      parent.cancel(new RuntimeException("early"));
      try (CancellableCtx child = parent.child(Tier.CACHE)) {
        assertThat(child.ctx().cancellationCause()).hasMessage("early");
      }
    }
  }

  @Test
  void detachedSurvivesTheParentsCancelAndKeepsValues() {
    CtxKey<String> user = CtxKey.local("user");
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofMillis(50))
        .value(user, "ada").open()) {
      RequestCtx detached = scope.detached();
      scope.cancel();
      ticker.advance(Duration.ofSeconds(1));

      assertThat(detached.isCancelled()).isFalse();
      assertThat(detached.deadline()).isEmpty();
      assertThat(detached.get(user)).isEqualTo("ada");
      assertThat(detached.requestId()).isEqualTo(scope.ctx().requestId());
      try (CancellableCtx background = CancellableCtx.childOf(detached, Duration.ofSeconds(5))) {
        assertThat(background.ctx().isCancelled()).isFalse();
      }
    }
  }

  @Test
  @SuppressWarnings("MustBeClosedChecker") // closed by hand, twice, on purpose
  void closeCancelsTheScopeButIsNotReportedAsACancel() {
    List<Throwable> cancels = new CopyOnWriteArrayList<>();
    try (CtxObserver.Registration r = CtxObserver.register(new CtxObserver() {
      @Override
      public void onCancel(RequestCtx ctx, Throwable cause) {
        cancels.add(cause);
      }
    })) {
      CancellableCtx scope = service(Duration.ofSeconds(1));
      scope.close();
      scope.close();
      assertThat(scope.ctx().isCancelled()).isTrue();
      assertThat(cancels).isEmpty();
    }
  }

  @Test
  void makeCurrentAttachesTheCtxUntilClosed() {
    try (CancellableCtx scope = service(Duration.ofSeconds(1))) {
      try (Scope ignored = scope.makeCurrent()) {
        assertThat(RequestCtx.current()).isSameAs(scope.ctx());
      }
      assertThat(RequestCtx.current()).isSameAs(RequestCtx.root());
    }
  }

  @Test
  void settingATickerAfterADeadlineOnAnotherTickerIsRefused() {
    CancellableCtx.Builder builder = CancellableCtx.newRoot(Tier.SERVICE).deadline(Deadline.after(Duration.ofSeconds(1)));
    assertThatThrownBy(() -> builder.ticker(ticker)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("set the ticker before the deadline");
  }

  @Test
  @SuppressWarnings("MustBeClosedChecker") // closed by hand, on two threads, on purpose
  void childClosingOnAnotherThreadWhileItsParentClosesIsNotALeak() throws Exception {
    java.util.List<LeakReport> leaks = new CopyOnWriteArrayList<>();
    try (CtxObserver.Registration r = CtxObserver.register(new CtxObserver() {
      @Override
      public void onLeak(LeakReport leak) {
        leaks.add(leak);
      }
    })) {
      CancellableCtx parent = service(Duration.ofSeconds(1));
      CancellableCtx child = parent.child(Tier.CACHE);
      java.util.concurrent.CountDownLatch childClosing = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch parentClosed = new java.util.concurrent.CountDownLatch(1);
      child.ctx().onCancel(cause -> { // runs inside child.close(), before the parent lets go of it
        childClosing.countDown();
        try {
          parentClosed.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      Thread closer = new Thread(child::close);
      closer.start();
      assertThat(childClosing.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      parent.close();
      parentClosed.countDown();
      closer.join(10_000);
    }
    assertThat(leaks).isEmpty();
  }
}
