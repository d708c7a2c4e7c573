package io.reqctx.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.errorprone.annotations.MustBeClosed;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.retry.event.RetryEvent;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.opentelemetry.context.Scope;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class BudgetRetryTest {
  private final FakeTicker ticker = new FakeTicker();

  @MustBeClosed
  private CancellableCtx request(Duration budget, int hop, int attempt) {
    return CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(budget).hopCount(hop).inboundAttempt(attempt).open();
  }

  /** A guard on the test's ticker, starting retries on the thread that ends the previous attempt. */
  private DownstreamGuard.Builder guard() {
    return DownstreamGuard.builder("downstream").ticker(ticker).executor(Runnable::run);
  }

  /** Resilience4j's retry config: {@code maxAttempts} attempts, {@code backoffMillis} between them. */
  private static RetryConfig retries(int maxAttempts, long backoffMillis) {
    return RetryConfig.custom().maxAttempts(maxAttempts).intervalFunction(n -> backoffMillis).build();
  }

  private static RetryConfig retries(int maxAttempts) {
    return retries(maxAttempts, 0);
  }

  @Test
  void failingTwiceThenSucceedingIsRetriedWithAttemptNumbersOneTwoThree() throws Exception {
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    DownstreamGuard retry = guard().retry(retries(3)).build();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 0, 1); Scope s = request.makeCurrent()) {
      String result = retry.call(() -> {
        attempts.add(RequestCtx.current().outgoingAttempt());
        if (attempts.size() < 3) {
          throw new IOException("unavailable");
        }
        return "ok";
      });
      assertThat(result).isEqualTo("ok");
    }
    assertThat(attempts).containsExactly(1, 2, 3);
  }

  @Test
  void eachAttemptGetsTheSmallerOfItsCapAndTheRemainingBudgetMinusTheReserve() throws Exception {
    List<Duration> budgets = new CopyOnWriteArrayList<>();
    DownstreamGuard retry = guard().retry(retries(3)).timeLimiter(TimeLimiter.of(Duration.ofMillis(300))).build();
    try (CancellableCtx request = request(Duration.ofMillis(200), 0, 1); Scope s = request.makeCurrent()) {
      retry.call(() -> budgets.add(RequestCtx.current().remainingBudget().orElseThrow()));
    }
    try (CancellableCtx request = request(Duration.ofSeconds(2), 0, 1); Scope s = request.makeCurrent()) {
      retry.call(() -> budgets.add(RequestCtx.current().remainingBudget().orElseThrow()));
    }
    // 200 ms - (5 ms + 2 % of 200 ms) = 191 ms; then the 300 ms cap.
    assertThat(budgets).containsExactly(Duration.ofMillis(191), Duration.ofMillis(300));
  }

  @Test
  void slowAttemptIsStoppedAtItsCapAndNotRetriedWhenTheRestCannotFitAnotherCap() {
    AtomicInteger started = new AtomicInteger();
    List<CompletableFuture<String>> calls = new CopyOnWriteArrayList<>();
    List<RequestCtx> attemptCtxs = new CopyOnWriteArrayList<>();
    DownstreamGuard retry = guard().retry(retries(3)).timeLimiter(TimeLimiter.of(Duration.ofMillis(300))).build();
    CompletableFuture<String> result;
    try (CancellableCtx request = request(Duration.ofMillis(500), 0, 1); Scope s = request.makeCurrent()) {
      result = retry.callAsync(() -> {
        started.incrementAndGet();
        attemptCtxs.add(RequestCtx.current());
        CompletableFuture<String> slow = new CompletableFuture<>();
        calls.add(slow);
        return slow;
      }).toCompletableFuture();
      ticker.advance(Duration.ofMillis(300));

      assertThat(result).isCompletedExceptionally();
      assertThat(started).hasValue(1);
      assertThat(calls.get(0)).isCancelled();                  // the work was stopped, not abandoned
      assertThat(attemptCtxs.get(0).isCancelled()).isTrue();   // and so was its ctx
      assertThat(request.ctx().isCancelled()).isFalse();
      assertThatThrownBy(result::get).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(AttemptTimeoutException.class)
          .satisfies(e -> assertThat(RetryStoppedException.of(e).orElseThrow().reason())
              .isEqualTo(StopReason.DEADLINE_BUDGET));
    }
  }

  @Test
  void blockingAttemptIsInterruptedWhenItsBudgetEnds() {
    DownstreamGuard retry = guard().retry(retries(2)).timeLimiter(TimeLimiter.of(Duration.ofMillis(300))).build();
    try (CancellableCtx request = request(Duration.ofMillis(500), 0, 1); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> retry.call(() -> {
        ticker.advance(Duration.ofMillis(300)); // the attempt's deadline passes while it runs
        new java.util.concurrent.CountDownLatch(1).await(); // blocking work: interrupted at once
        return "late";
      })).isInstanceOf(AttemptTimeoutException.class).hasCauseInstanceOf(InterruptedException.class);
    }
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void backoffThatCannotFitInTheRemainingBudgetIsNotStarted() {
    AtomicInteger started = new AtomicInteger();
    DownstreamGuard retry =
        guard().retry(retries(3, 450)).timeLimiter(TimeLimiter.of(Duration.ofMillis(100))).build();
    try (CancellableCtx request = request(Duration.ofMillis(500), 0, 1); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> retry.call(() -> {
        started.incrementAndGet();
        throw new IOException("unavailable");
      })).isInstanceOf(IOException.class)
          .satisfies(e -> assertThat(RetryStoppedException.of(e).orElseThrow().getMessage())
              .contains("backoff 450ms").contains("100ms a retry needs"));
    }
    assertThat(started).hasValue(1);
    assertThat(ticker.pendingAlarms()).isZero();
  }

  @Test
  void asyncBackoffWaitsOnTheTicker() {
    AtomicInteger started = new AtomicInteger();
    DownstreamGuard retry = guard().retry(retries(2, 100)).build();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 0, 1); Scope s = request.makeCurrent()) {
      CompletableFuture<String> result = retry.callAsync(() -> started.incrementAndGet() == 1
          ? CompletableFuture.<String>failedFuture(new IOException("unavailable"))
          : CompletableFuture.completedFuture("ok")).toCompletableFuture();
      assertThat(started).hasValue(1);
      ticker.advance(Duration.ofMillis(99));
      assertThat(started).hasValue(1);
      ticker.advance(Duration.ofMillis(1));
      assertThat(result).isCompletedWithValue("ok");
    }
  }

  @Test
  void firstAttemptIsNotStartedWhenTheBudgetIsBelowTheMinimumViable() {
    DownstreamGuard retry = guard().retry(retries(3)).build();
    try (CancellableCtx request = request(Duration.ofMillis(12), 0, 1); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> retry.call(() -> "never"))
          .isInstanceOf(RetryStoppedException.class)
          .hasMessageContaining("below the minimum viable budget 10ms")
          .satisfies(e -> assertThat(((RetryStoppedException) e).reason()).isEqualTo(StopReason.DEADLINE_BUDGET));
    }
  }

  @Test
  void hopBelowTheOriginMakesOneAttemptByDefault() {
    AtomicInteger started = new AtomicInteger();
    DownstreamGuard retry = guard().retry(retries(3)).build();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 1, 1); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> retry.call(() -> {
        started.incrementAndGet();
        throw new IOException("unavailable");
      })).satisfies(e -> assertThat(RetryStoppedException.of(e).orElseThrow().reason())
          .isEqualTo(StopReason.AMPLIFICATION_RULE));
    }
    assertThat(started).hasValue(1);
  }

  @Test
  void hopServingARetryDoesNotRetryEvenWhereItsLayerMay() {
    AtomicInteger started = new AtomicInteger();
    DownstreamGuard retry = guard().retry(retries(3)).amplificationRule(AmplificationRule.onlyAtHop(1)).build();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 1, 2); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> retry.call(() -> {
        started.incrementAndGet();
        throw new IOException("unavailable");
      })).isInstanceOf(IOException.class);
    }
    assertThat(started).hasValue(1);
  }

  @Test
  void loopNestedInAnAttemptOfAnotherLoopDoesNotRetry() throws Exception {
    AtomicInteger inner = new AtomicInteger();
    DownstreamGuard outer = guard().retry(retries(3)).build();
    DownstreamGuard nested = guard().retry(retries(3)).build();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 0, 1); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> outer.call(() -> nested.call(() -> {
        inner.incrementAndGet();
        throw new IOException("unavailable");
      }))).isInstanceOf(IOException.class);
    }
    assertThat(inner).hasValue(3); // 3 outer attempts x 1, not 3 x 3
  }

  @Test
  void failureThatIsNotRetryableStopsAtOnce() {
    AtomicInteger started = new AtomicInteger();
    DownstreamGuard retry = guard().retry(RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ZERO)
        .retryOnException(e -> e instanceof IOException).build()).build();
    assertThatThrownBy(() -> retry.call(() -> {
      started.incrementAndGet();
      throw new IllegalArgumentException("bad request");
    })).isInstanceOf(IllegalArgumentException.class);
    assertThat(started).hasValue(1);
  }

  @Test
  void cancellingTheRequestDuringABackoffStopsTheLoop() {
    AtomicInteger started = new AtomicInteger();
    DownstreamGuard retry = guard().retry(retries(3, 100)).build();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 0, 1); Scope s = request.makeCurrent()) {
      CompletableFuture<String> result = retry.callAsync(() -> {
        started.incrementAndGet();
        return CompletableFuture.<String>failedFuture(new IOException("unavailable"));
      }).toCompletableFuture();
      request.cancel();
      ticker.advance(Duration.ofMillis(100));
      assertThat(result).isCompletedExceptionally();
      assertThatThrownBy(result::join).cause().satisfies(e ->
          assertThat(RetryStoppedException.of(e).orElseThrow().reason()).isEqualTo(StopReason.CANCELLED));
    }
    assertThat(started).hasValue(1);
  }

  @Test
  void retriesArePublishedByTheRetryFromTheRegistryAndCountedInItsMetrics() throws Exception {
    RetryRegistry registry = RetryRegistry.of(BudgetAwareRetry.config(retries(3)));
    Retry fromRegistry = registry.retry("downstream");
    List<RetryEvent.Type> events = new CopyOnWriteArrayList<>();
    fromRegistry.getEventPublisher().onEvent(event -> events.add(event.getEventType()));
    DownstreamGuard retry = guard().retry(fromRegistry).build();
    AtomicInteger started = new AtomicInteger();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 0, 1); Scope s = request.makeCurrent()) {
      assertThat(retry.call(() -> {
        if (started.incrementAndGet() < 3) {
          throw new IOException("unavailable");
        }
        return "ok";
      })).isEqualTo("ok");
    }
    assertThat(events).containsExactly(RetryEvent.Type.RETRY, RetryEvent.Type.RETRY, RetryEvent.Type.SUCCESS);
    assertThat(fromRegistry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    assertThat(fromRegistry.getMetrics().getNumberOfTotalCalls()).isEqualTo(3);
    assertThat(retry.retry()).containsSame(fromRegistry);
  }

  @Test
  void retryTheBudgetVetoesIsPublishedAsTheRetrysErrorEventCarryingTheReason() {
    Retry fromRegistry = RetryRegistry.of(BudgetAwareRetry.config(retries(3, 450))).retry("downstream");
    List<RetryEvent> events = new CopyOnWriteArrayList<>();
    fromRegistry.getEventPublisher().onEvent(events::add);
    DownstreamGuard retry = guard().retry(fromRegistry).timeLimiter(TimeLimiter.of(Duration.ofMillis(100))).build();
    try (CancellableCtx request = request(Duration.ofMillis(500), 0, 1); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> retry.call(() -> {
        throw new IOException("unavailable");
      })).isInstanceOf(IOException.class);
    }
    assertThat(events).singleElement().satisfies(event -> {
      assertThat(event.getEventType()).isEqualTo(RetryEvent.Type.ERROR);
      assertThat(event.getNumberOfRetryAttempts()).isEqualTo(1);
      assertThat(RetryStoppedException.of(event.getLastThrowable()).orElseThrow().reason())
          .isEqualTo(StopReason.DEADLINE_BUDGET);
    });
    assertThat(ticker.pendingAlarms()).isZero();
  }

  @Test
  void resultTheRetrysResultPredicateRejectsIsRetried() throws Exception {
    AtomicInteger started = new AtomicInteger();
    DownstreamGuard retry = guard().retry(RetryConfig.<String>custom().maxAttempts(3).waitDuration(Duration.ZERO)
        .retryOnResult("not yet"::equals).build()).build();
    try (CancellableCtx request = request(Duration.ofSeconds(2), 0, 1); Scope s = request.makeCurrent()) {
      assertThat(retry.call(() -> started.incrementAndGet() < 2 ? "not yet" : "ready")).isEqualTo("ready");
    }
    assertThat(started).hasValue(2);
  }

  @Test
  void retryWhoseBackoffIgnoresTheBudgetIsRefusedWithTheFix() {
    Retry plain = RetryRegistry.ofDefaults().retry("downstream");
    assertThatThrownBy(() -> guard().retry(plain))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Retry 'downstream'")
        .hasMessageContaining("BudgetAwareRetry.config(");
  }

  @Test
  void budgetAwareRetryUsedOutsideAGuardBacksOffAsConfigured() {
    Retry retry = BudgetAwareRetry.of("plain", retries(3, 7));
    assertThat(retry.getRetryConfig().getIntervalBiFunction().apply(1, Either.left(new IOException("x"))))
        .isEqualTo(7L);
    assertThat(BudgetAwareRetry.config(retry.getRetryConfig())).isSameAs(retry.getRetryConfig());
  }
}
