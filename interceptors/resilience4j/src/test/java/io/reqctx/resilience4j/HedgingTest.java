package io.reqctx.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.errorprone.annotations.MustBeClosed;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.RetryConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Hedging in the guard itself, on a fake ticker: what is sent when, what wins, what is cancelled. */
@ExtendWith(StrictLeakExtension.class)
class HedgingTest {
  private final FakeTicker ticker = new FakeTicker();
  private final TestTelemetry telemetry = new TestTelemetry();

  /** Every attempt the downstream saw: its ctx, and the future the test completes. */
  private record Attempt(RequestCtx ctx, CompletableFuture<String> answer) {}

  private final List<Attempt> attempts = new CopyOnWriteArrayList<>();

  private final Supplier<CompletableFuture<String>> downstream = () -> {
    CompletableFuture<String> answer = new CompletableFuture<>();
    attempts.add(new Attempt(RequestCtx.current(), answer));
    return answer;
  };

  private DownstreamGuard.Builder guard(Hedging hedging) {
    return DownstreamGuard.builder("cache").ticker(ticker).executor(Runnable::run).openTelemetry(telemetry.openTelemetry)
        .hedging(hedging).idempotent(true).retryBudget(RetryBudget.builder().ticker(ticker).build());
  }

  @MustBeClosed
  private CancellableCtx request(Duration budget) {
    return CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(budget).open();
  }

  /** Runs {@code body} in a request with a span current, so hedging events have a span to go to. */
  private CompletableFuture<String> inRequest(Duration budget, DownstreamGuard guard, Runnable whileOpen) {
    Span span = telemetry.openTelemetry.getTracer("test").spanBuilder("caller").startSpan();
    try (CancellableCtx request = request(budget); Scope s = request.makeCurrent(); Scope sp = span.makeCurrent()) {
      CompletableFuture<String> result = guard.callAsync(downstream::get).toCompletableFuture();
      whileOpen.run();
      return result;
    } finally {
      span.end();
    }
  }

  @Test
  void slowFirstAttemptIsHedgedAfterTheDelayAndTheFirstAnswerCancelsTheOther() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(2, Duration.ofMillis(50))).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      assertThat(attempts).hasSize(1);
      ticker.advance(Duration.ofMillis(49));
      assertThat(attempts).hasSize(1);
      ticker.advance(Duration.ofMillis(1));
      assertThat(attempts).hasSize(2);
      assertThat(attempts.get(1).ctx().outgoingAttempt()).isEqualTo(2); // sent as reqctx-attempt: 2
      attempts.get(1).answer().complete("from the hedge");
      assertThat(attempts.get(0).answer()).isCancelled();             // the loser's work is stopped
      assertThat(attempts.get(0).ctx().isCancelled()).isTrue();       // and its ctx, so its call
    });

    assertThat(result.get()).isEqualTo("from the hedge");
    assertThat(telemetry.counter("reqctx.hedges.sent", Map.of("reqctx.downstream", "cache"))).isEqualTo(1);
    assertThat(telemetry.counter("reqctx.hedges.won")).isEqualTo(1);
    assertThat(telemetry.counter("reqctx.hedges.cancelled")).isEqualTo(1);
    assertThat(telemetry.eventNames()).containsExactly("reqctx.hedge.sent", "reqctx.hedge.won", "reqctx.hedge.cancelled");
    assertThat(telemetry.events("reqctx.hedge.sent").get(0).getAttributes().get(AttributeKey.doubleKey(
        "reqctx.hedge.delay_ms"))).isEqualTo(50.0);
    assertThat(telemetry.events("reqctx.hedge.cancelled").get(0).getAttributes().get(AttributeKey.longKey(
        "reqctx.attempt"))).isEqualTo(1L);
  }

  @Test
  void whoeverTheAnswerWakesFindsEveryLosingAttemptAndItsCtxAlreadyCancelled() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(3, Duration.ofMillis(50))).build();
    List<String> seenOnAnswer = new CopyOnWriteArrayList<>();
    try (CancellableCtx request = request(Duration.ofSeconds(1)); Scope s = request.makeCurrent()) {
      CompletableFuture<String> result = guard.callAsync(downstream::get).toCompletableFuture();
      ticker.advance(Duration.ofMillis(50));
      ticker.advance(Duration.ofMillis(50));
      assertThat(attempts).hasSize(3);
      // Registered after the guard's own bookkeeping, so run before it: CompletableFuture runs dependents
      // last-first. This is where a caller closes its request scope once the answer is in.
      result.whenComplete((value, error) -> {
        for (Attempt attempt : attempts) {
          seenOnAnswer.add(attempt.answer().isCancelled() + "/" + attempt.ctx().isCancelled());
        }
      });
      attempts.get(1).answer().complete("from the first hedge");
      assertThat(result.get()).isEqualTo("from the first hedge");
    }
    // The winner's ctx is closed too (its attempt is over); only the losers' answers are cancelled.
    assertThat(seenOnAnswer).containsExactly("true/true", "false/true", "true/true");
  }

  @Test
  void aFatalFailureCancelsTheOtherAttemptsBeforeTheCallerSeesIt() {
    DownstreamGuard guard = guard(Hedging.builder().maxAttempts(3).delay(Duration.ofMillis(100))
        .nonFatal(IOException.class::isInstance).build()).build();
    List<String> seenOnFailure = new CopyOnWriteArrayList<>();
    try (CancellableCtx request = request(Duration.ofSeconds(1)); Scope s = request.makeCurrent()) {
      CompletableFuture<String> result = guard.callAsync(downstream::get).toCompletableFuture();
      ticker.advance(Duration.ofMillis(100));
      result.whenComplete((value, error) -> seenOnFailure.add(
          attempts.get(0).answer().isCancelled() + "/" + attempts.get(0).ctx().isCancelled()));
      attempts.get(1).answer().completeExceptionally(new IllegalArgumentException("bad request"));
      assertThat(result).isCompletedExceptionally();
    }
    assertThat(seenOnFailure).containsExactly("true/true");
  }

  @Test
  void firstAttemptAnsweringBeforeTheDelaySendsNoHedge() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(3, Duration.ofMillis(50))).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      ticker.advance(Duration.ofMillis(30));
      attempts.get(0).answer().complete("fast");
      ticker.advance(Duration.ofSeconds(1));
    });
    assertThat(result.get()).isEqualTo("fast");
    assertThat(attempts).hasSize(1);
    assertThat(ticker.pendingAlarms()).isZero();
    assertThat(telemetry.counter("reqctx.hedges.sent")).isZero();
  }

  @Test
  void upToMaxAttemptsAreSentOneDelayApartAndTheFirstAttemptMayStillWin() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(3, Duration.ofMillis(20))).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      ticker.advance(Duration.ofMillis(20));
      ticker.advance(Duration.ofMillis(20));
      ticker.advance(Duration.ofMillis(20));
      assertThat(attempts).hasSize(3);
      attempts.get(0).answer().complete("first after all");
      assertThat(attempts.get(1).answer()).isCancelled();
      assertThat(attempts.get(2).answer()).isCancelled();
    });
    assertThat(result.get()).isEqualTo("first after all");
    assertThat(attempts).extracting(a -> a.ctx().outgoingAttempt()).containsExactly(1, 2, 3);
    assertThat(telemetry.counter("reqctx.hedges.sent")).isEqualTo(2);
    assertThat(telemetry.counter("reqctx.hedges.won")).isZero();
    assertThat(telemetry.counter("reqctx.hedges.cancelled")).isEqualTo(2);
  }

  @Test
  void noHedgeIsSentWhenTheRemainingBudgetAfterTheReserveCannotFitAUsefulAttempt() throws Exception {
    DownstreamGuard guard = guard(Hedging.builder().maxAttempts(2).delay(Duration.ofMillis(60))
        .minimumBudget(Duration.ofMillis(40)).build()).build();
    CompletableFuture<String> result = inRequest(Duration.ofMillis(100), guard, () -> {
      ticker.advance(Duration.ofMillis(60)); // 40 ms left, 34 ms after the reserve (5 ms + 2 %): below 40 ms
      assertThat(attempts).hasSize(1);
      attempts.get(0).answer().complete("slow but in time");
    });
    assertThat(result.get()).isEqualTo("slow but in time");
    assertThat(telemetry.counter("reqctx.hedges.sent")).isZero();
    assertThat(telemetry.counter("reqctx.hedges.not_sent", Map.of("reqctx.reason", "deadline_budget"))).isEqualTo(1);
    assertThat(telemetry.events("reqctx.hedge.not_sent").get(0).getAttributes().get(AttributeKey.stringKey(
        "reqctx.cause"))).contains("not hedging cache: attempt 2 would get 34ms (remaining 40ms - reserve 5ms)")
        .contains("less than the 40ms a hedge needs");
  }

  @Test
  void theSameHedgeIsSentWhenTheBudgetStillFitsIt() throws Exception {
    DownstreamGuard guard = guard(Hedging.builder().maxAttempts(2).delay(Duration.ofMillis(50))
        .minimumBudget(Duration.ofMillis(40)).build()).build();
    inRequest(Duration.ofMillis(100), guard, () -> {
      ticker.advance(Duration.ofMillis(50)); // 50 ms left, 44 ms after the reserve: fits 40 ms
      assertThat(attempts).hasSize(2);
      attempts.get(1).answer().complete("hedge");
    }).get();
    assertThat(telemetry.counter("reqctx.hedges.sent")).isEqualTo(1);
  }

  @Test
  void hedgesSpendRetryTokensSoTheyAddNoMoreLoadThanTheRetryBudgetAllows() throws Exception {
    // ratio 0.5 and no floor: over the window, hedges <= half the calls.
    RetryBudget budget = RetryBudget.builder().ratio(0.5).minRetriesPerSecond(0).ticker(ticker).build();
    DownstreamGuard guard = guard(Hedging.fixedDelay(2, Duration.ofMillis(10))).retryBudget(budget).build();
    int calls = 10;
    List<CompletableFuture<String>> results = new CopyOnWriteArrayList<>();
    try (CancellableCtx request = request(Duration.ofSeconds(2)); Scope s = request.makeCurrent()) {
      for (int i = 0; i < calls; i++) {
        results.add(guard.callAsync(downstream::get).toCompletableFuture());
      }
      ticker.advance(Duration.ofMillis(10));
      attempts.forEach(a -> a.answer().complete("ok"));
    }
    for (CompletableFuture<String> r : results) {
      assertThat(r.get()).isEqualTo("ok");
    }
    assertThat(attempts).hasSize(calls + calls / 2);
    assertThat(telemetry.counter("reqctx.hedges.sent")).isEqualTo(calls / 2);
    assertThat(telemetry.counter("reqctx.hedges.not_sent", Map.of("reqctx.reason", "retry_budget"))).isEqualTo(calls / 2);
  }

  @Test
  void aCallThatIsNotIdempotentIsNeverHedged() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(3, Duration.ofMillis(10))).idempotent(false).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      ticker.advance(Duration.ofMillis(500));
      attempts.get(0).answer().complete("once");
    });
    assertThat(result.get()).isEqualTo("once");
    assertThat(attempts).hasSize(1);
    assertThat(guard.withIdempotent(true).idempotent()).isTrue();
    assertThat(telemetry.counter("reqctx.hedges.sent")).isZero();
  }

  @Test
  void aHopTheAmplificationRuleKeepsFromRepeatingCallsDoesNotHedge() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(2, Duration.ofMillis(10))).build(); // origin only
    CompletableFuture<String> result;
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(1))
        .hopCount(1).open(); Scope s = request.makeCurrent()) {
      result = guard.callAsync(downstream::get).toCompletableFuture();
      ticker.advance(Duration.ofMillis(100));
      attempts.get(0).answer().complete("once");
    }
    assertThat(result.get()).isEqualTo("once");
    assertThat(attempts).hasSize(1);
  }

  @Test
  void aGuardedCallInsideAHedgedAttemptDoesNotHedgeAgain() throws Exception {
    DownstreamGuard inner = guard(Hedging.fixedDelay(2, Duration.ofMillis(10))).build();
    List<Integer> innerAttempts = new CopyOnWriteArrayList<>();
    DownstreamGuard outer = guard(Hedging.fixedDelay(2, Duration.ofMillis(10))).build();
    CompletableFuture<String> result;
    try (CancellableCtx request = request(Duration.ofSeconds(1)); Scope s = request.makeCurrent()) {
      result = outer.callAsync(() -> inner.callAsync(() -> {
        innerAttempts.add(RequestCtx.current().outgoingAttempt());
        return new CompletableFuture<String>();
      })).toCompletableFuture();
      ticker.advance(Duration.ofMillis(10)); // the outer call hedges once; neither inner call hedges
      ticker.advance(Duration.ofMillis(10));
      ticker.advance(Duration.ofMillis(10));
      assertThat(innerAttempts).containsExactly(1, 1);
      result.cancel(true);
    }
    assertThat(result).isCancelled();
  }

  @Test
  void blockingCallsAreNotHedged() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(2, Duration.ofMillis(10))).build();
    List<Integer> seen = new CopyOnWriteArrayList<>();
    try (CancellableCtx request = request(Duration.ofSeconds(1)); Scope s = request.makeCurrent()) {
      String answer = guard.call(() -> {
        seen.add(RequestCtx.current().outgoingAttempt());
        ticker.advance(Duration.ofMillis(100)); // the delay passes while the blocking attempt runs
        return "blocking";
      });
      assertThat(answer).isEqualTo("blocking");
    }
    assertThat(seen).containsExactly(1);
    assertThat(ticker.pendingAlarms()).isZero();
  }

  @Test
  void aNonFatalFailureSendsTheNextHedgeAtOnceAndTheOthersGoOn() throws Exception {
    DownstreamGuard guard = guard(Hedging.builder().maxAttempts(3).delay(Duration.ofMillis(100))
        .nonFatal(IOException.class::isInstance).build()).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      ticker.advance(Duration.ofMillis(100));
      assertThat(attempts).hasSize(2);
      attempts.get(1).answer().completeExceptionally(new IOException("unavailable"));
      assertThat(attempts).hasSize(3);                    // at once, without waiting for the delay
      assertThat(attempts.get(0).answer()).isNotDone();   // attempt 1 goes on
      attempts.get(0).answer().complete("first");
    });
    assertThat(result.get()).isEqualTo("first");
    assertThat(attempts.get(2).answer()).isCancelled();
  }

  @Test
  void aLastHedgeFailingAsItStartsLeavesTheCallToTheAttemptsStillInFlight() throws Exception {
    DownstreamGuard guard = guard(Hedging.fixedDelay(2, Duration.ofMillis(100))).build();
    Supplier<CompletableFuture<String>> refusingHedges = () -> {
      CompletableFuture<String> answer = downstream.get();
      if (attempts.size() > 1) {
        answer.completeExceptionally(new AttemptTimeoutException("cache", 2, Duration.ofMillis(7), true, null));
      }
      return answer;
    };
    try (CancellableCtx request = request(Duration.ofSeconds(1)); Scope s = request.makeCurrent()) {
      CompletableFuture<String> result = guard.callAsync(refusingHedges::get).toCompletableFuture();
      ticker.advance(Duration.ofMillis(100));
      assertThat(attempts).hasSize(2);
      assertThat(result).isNotDone(); // attempt 1 is still on its way
      attempts.get(0).answer().complete("first");
      assertThat(result.get()).isEqualTo("first");
    }
  }

  @Test
  void aFatalFailureEndsTheCallWithItAndCancelsTheOthers() {
    DownstreamGuard guard = guard(Hedging.builder().maxAttempts(3).delay(Duration.ofMillis(100))
        .nonFatal(IOException.class::isInstance).build()).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      ticker.advance(Duration.ofMillis(100));
      attempts.get(1).answer().completeExceptionally(new IllegalArgumentException("bad request"));
      assertThat(attempts.get(0).answer()).isCancelled();
    });
    assertThatThrownBy(result::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(RetryStoppedException.of(e).orElseThrow().reason())
            .isEqualTo(StopReason.NOT_RETRYABLE));
    assertThat(attempts).hasSize(2);
    ticker.advance(Duration.ofSeconds(1));
    assertThat(attempts).hasSize(2);
  }

  @Test
  void whenEveryAttemptFailsNonFatallyTheCallEndsWithTheLastFailureAndTheReason() {
    DownstreamGuard guard = guard(Hedging.builder().maxAttempts(2).delay(Duration.ofMillis(100))
        .nonFatal(IOException.class::isInstance).build()).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      attempts.get(0).answer().completeExceptionally(new IOException("first down"));
      attempts.get(1).answer().completeExceptionally(new IOException("second down"));
    });
    assertThatThrownBy(result::get).cause().hasMessage("second down")
        .satisfies(e -> assertThat(RetryStoppedException.of(e).orElseThrow().reason())
            .isEqualTo(StopReason.ATTEMPTS_EXHAUSTED));
  }

  @Test
  void theCallerCancellingStopsEveryAttemptAndNoMoreHedgesAreSent() {
    DownstreamGuard guard = guard(Hedging.fixedDelay(3, Duration.ofMillis(10))).build();
    try (CancellableCtx request = request(Duration.ofSeconds(1)); Scope s = request.makeCurrent()) {
      CompletableFuture<String> result = guard.callAsync(downstream::get).toCompletableFuture();
      ticker.advance(Duration.ofMillis(10));
      result.cancel(true);
      assertThat(attempts).hasSize(2).allSatisfy(a -> assertThat(a.answer()).isCancelled());
      ticker.advance(Duration.ofMillis(500));
      assertThat(attempts).hasSize(2);
    }
    assertThat(ticker.pendingAlarms()).isZero();
    assertThat(telemetry.counter("reqctx.hedges.cancelled")).isZero(); // the caller left; nothing won
  }

  @Test
  void theRequestEndingStopsEveryAttemptAndTheCallFailsAsCancelled() {
    DownstreamGuard guard = guard(Hedging.fixedDelay(3, Duration.ofMillis(10))).build();
    CompletableFuture<String> result;
    try (CancellableCtx request = request(Duration.ofMillis(500)); Scope s = request.makeCurrent()) {
      result = guard.callAsync(downstream::get).toCompletableFuture();
      ticker.advance(Duration.ofMillis(10));
      request.cancel(new java.util.concurrent.CancellationException("caller left"));
      assertThat(attempts).hasSize(2).allSatisfy(a -> assertThat(a.answer()).isCancelled());
      assertThat(result).isCompletedExceptionally();
    }
    ticker.advance(Duration.ofSeconds(1));
    assertThat(attempts).hasSize(2);
    assertThat(RetryStoppedException.of(Attempts.unwrap(result.handle((v, e) -> e).join())).orElseThrow().reason())
        .isEqualTo(StopReason.CANCELLED);
  }

  @Test
  void theBreakerRecordsTheWinnerOnlyAndGetsTheLosersPermissionBack() throws Exception {
    CircuitBreaker breaker = CircuitBreaker.ofDefaults("cache-hedged");
    DownstreamGuard guard = guard(Hedging.fixedDelay(2, Duration.ofMillis(10))).circuitBreaker(breaker).build();
    inRequest(Duration.ofSeconds(1), guard, () -> {
      ticker.advance(Duration.ofMillis(10));
      attempts.get(1).answer().complete("hedge");
    }).get();
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).isEqualTo(1);
  }

  @Test
  void aHedgedCallDoesNotRetryThroughItsRetry() {
    DownstreamGuard guard = guard(Hedging.fixedDelay(2, Duration.ofMillis(100)))
        .retry(RetryConfig.custom().maxAttempts(5).waitDuration(Duration.ZERO).build()).build();
    CompletableFuture<String> result = inRequest(Duration.ofSeconds(1), guard, () -> {
      attempts.get(0).answer().completeExceptionally(new IOException("down")); // fatal by default
    });
    assertThatThrownBy(result::get).cause().hasMessage("down");
    assertThat(attempts).hasSize(1);
  }

  @Test
  void percentileDelayFollowsTheDownstreamsRecentLatency() throws Exception {
    DownstreamGuard guard = guard(Hedging.builder().maxAttempts(2).delayAtPercentile(95, Duration.ofMillis(200))
        .minimumSamples(20).build()).build();
    try (CancellableCtx request = request(Duration.ofSeconds(30)); Scope s = request.makeCurrent()) {
      for (int i = 0; i < 20; i++) { // 20 calls answering after 10 ms, before the 200 ms initial delay
        CompletableFuture<String> r = guard.callAsync(downstream::get).toCompletableFuture();
        ticker.advance(Duration.ofMillis(10));
        attempts.get(attempts.size() - 1).answer().complete("ok");
        assertThat(r.get()).isEqualTo("ok");
      }
      assertThat(attempts).hasSize(20);
      CompletableFuture<String> slow = guard.callAsync(downstream::get).toCompletableFuture();
      ticker.advance(Duration.ofMillis(10));
      assertThat(attempts).hasSize(21);
      // 10 ms read as the upper edge of its histogram bucket: 10.239 ms, not the 200 ms initial delay.
      ticker.advance(Duration.ofMillis(1));
      assertThat(attempts).hasSize(22);
      attempts.get(21).answer().complete("hedge");
      assertThat(slow.get()).isEqualTo("hedge");
    }
  }

  @Test
  void hedgingConfigurationIsCheckedWithTheNumbers() {
    assertThatThrownBy(() -> Hedging.builder().maxAttempts(6))
        .hasMessageContaining("2 to 5").hasMessageContaining("6");
    assertThatThrownBy(() -> Hedging.builder().delayAtPercentile(100, Duration.ZERO)).hasMessageContaining("100");
    assertThatThrownBy(() -> Hedging.builder().delay(Duration.ofMillis(-1))).hasMessageContaining("delay");
    assertThat(Hedging.fixedDelay(2, Duration.ofMillis(5)).toString()).contains("2 attempts", "5ms");
  }
}
