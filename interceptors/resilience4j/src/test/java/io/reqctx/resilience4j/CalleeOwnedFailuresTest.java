package io.reqctx.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.errorprone.annotations.MustBeClosed;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.event.BulkheadEvent;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.event.TimeLimiterEvent;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The breaker records only failures the downstream owns: an attempt that ran out of a budget the
 * caller's remaining time had cut below its 300 ms cap says nothing about the downstream.
 */
@ExtendWith(StrictLeakExtension.class)
class CalleeOwnedFailuresTest {
  private final FakeTicker ticker = new FakeTicker();
  private final TimeLimiter timeLimiter = TimeLimiter.of(Duration.ofMillis(300));
  private final List<TimeLimiterEvent.Type> limiterEvents = new CopyOnWriteArrayList<>();
  private final DownstreamGuard guard = DownstreamGuard.builder("cache")
      .timeLimiter(timeLimiter)
      .circuitBreaker(CircuitBreakerConfig.custom()
          .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(50)
          .waitDurationInOpenState(Duration.ofSeconds(5)).build())
      .ticker(ticker)
      .executor(Runnable::run)
      .build();

  CalleeOwnedFailuresTest() {
    timeLimiter.getEventPublisher().onEvent(event -> limiterEvents.add(event.getEventType()));
  }

  @MustBeClosed
  private CancellableCtx request(Duration budget) {
    return CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(budget).open();
  }

  private CircuitBreaker breaker() {
    return guard.circuitBreaker().orElseThrow();
  }

  /** One call of {@code attempt} within a request of {@code budget}, after which the ticker moves {@code wait}. */
  private Throwable failureOf(Duration budget, Supplier<CompletableFuture<String>> attempt, Duration wait) {
    CompletableFuture<String> result;
    try (CancellableCtx request = request(budget); Scope s = request.makeCurrent()) {
      result = guard.callAsync(attempt).toCompletableFuture();
      ticker.advance(wait);
    }
    assertThat(result).isCompletedExceptionally();
    return Attempts.unwrap(result.handle((v, e) -> e).join());
  }

  @Test
  void timeoutOfAnAttemptTheCallerCutShortIsNotCountedAgainstTheDownstream() {
    for (int i = 0; i < 2; i++) {
      // 200 ms left: the attempt gets 200 - (5 + 2 % of 200) = 191 ms, below its 300 ms cap.
      Throwable failure = failureOf(Duration.ofMillis(200), CompletableFuture::new, Duration.ofMillis(191));
      assertThat(failure).isInstanceOfSatisfying(AttemptTimeoutException.class, timeout -> {
        assertThat(timeout.budget()).isEqualTo(Duration.ofMillis(191));
        assertThat(timeout.cutShortByCaller()).isTrue();
      });
    }
    assertThat(breaker().getMetrics().getNumberOfBufferedCalls()).isZero();
    assertThat(breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(limiterEvents).containsExactly(TimeLimiterEvent.Type.TIMEOUT, TimeLimiterEvent.Type.TIMEOUT);
  }

  @Test
  void timeoutOfAnAttemptWithItsFullBudgetCountsAgainstTheDownstream() {
    for (int i = 0; i < 2; i++) {
      Throwable failure = failureOf(Duration.ofSeconds(2), CompletableFuture::new, Duration.ofMillis(300));
      assertThat(failure).isInstanceOfSatisfying(AttemptTimeoutException.class, timeout -> {
        assertThat(timeout.budget()).isEqualTo(Duration.ofMillis(300));
        assertThat(timeout.cutShortByCaller()).isFalse();
      });
    }
    assertThat(breaker().getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
    assertThat(breaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void transportTimeoutOnACutShortAttemptIsNotCountedButItsOtherFailuresAre() {
    // A transport keeps back a reserve, so its own deadline error arrives before the attempt's budget ends.
    failureOf(Duration.ofMillis(200),
        () -> CompletableFuture.failedFuture(new TimeoutException("transport deadline")), Duration.ZERO);
    assertThat(breaker().getMetrics().getNumberOfBufferedCalls()).isZero();

    failureOf(Duration.ofMillis(200),
        () -> CompletableFuture.failedFuture(new IOException("connection refused")), Duration.ZERO);
    assertThat(breaker().getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
  }

  @Test
  void timeoutPredicateOfTheTransportClassifiesItsOwnDeadlineErrors() {
    DownstreamGuard withTransport = guard.withTimeoutOn(e -> e.getMessage().startsWith("DEADLINE_EXCEEDED"));
    CompletableFuture<String> result;
    try (CancellableCtx request = request(Duration.ofMillis(200)); Scope s = request.makeCurrent()) {
      result = withTransport.<String>callAsync(
          () -> CompletableFuture.failedFuture(new IllegalStateException("DEADLINE_EXCEEDED: deadline passed")))
          .toCompletableFuture();
    }
    assertThat(result).isCompletedExceptionally();
    assertThat(breaker().getMetrics().getNumberOfBufferedCalls()).isZero();
  }

  @Test
  void fullBulkheadStopsTheCallWithoutCostingTheBreakerAndPublishesTheRejection() {
    Bulkhead bulkhead = Bulkhead.of("cache", BulkheadConfig.custom().maxConcurrentCalls(1)
        .maxWaitDuration(Duration.ZERO).build());
    List<BulkheadEvent.Type> events = new CopyOnWriteArrayList<>();
    bulkhead.getEventPublisher().onEvent(event -> events.add(event.getEventType()));
    DownstreamGuard bounded = DownstreamGuard.builder("cache").bulkhead(bulkhead)
        .circuitBreaker(CircuitBreakerConfig.ofDefaults()).ticker(ticker).executor(Runnable::run).build();
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletableFuture<String> first;
    CompletableFuture<GuardedResult<String>> second;
    try (CancellableCtx request = request(Duration.ofSeconds(2)); Scope s = request.makeCurrent()) {
      first = bounded.callAsync(() -> slow).toCompletableFuture();
      second = bounded.callAsync(() -> CompletableFuture.completedFuture("fresh"), (reason, failure) -> "stale")
          .toCompletableFuture();
      assertThat(second.join().degradedReason()).isEqualTo(StopReason.BULKHEAD_FULL);
      assertThat(second.join().failure()).hasMessageContaining("bulkhead 'cache' allows 1 concurrent calls");
      slow.complete("fresh");
    }
    assertThat(first).isCompletedWithValue("fresh");
    assertThat(events).containsExactly(
        BulkheadEvent.Type.CALL_PERMITTED, BulkheadEvent.Type.CALL_REJECTED, BulkheadEvent.Type.CALL_FINISHED);
    assertThat(bounded.circuitBreaker().orElseThrow().getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
    assertThat(bounded.circuitBreaker().orElseThrow().getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(1);
  }

  @Test
  void callThatCannotStartInTheBudgetTakesNoPermission() {
    try (CancellableCtx request = request(Duration.ofMillis(12)); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> guard.call(() -> "never"))
          .isInstanceOfSatisfying(RetryStoppedException.class,
              stop -> assertThat(stop.reason()).isEqualTo(StopReason.DEADLINE_BUDGET));
    }
    assertThat(breaker().getMetrics().getNumberOfBufferedCalls()).isZero();
    assertThat(limiterEvents).isEmpty();
  }
}
