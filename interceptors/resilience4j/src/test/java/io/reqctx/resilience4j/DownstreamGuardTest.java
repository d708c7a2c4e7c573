package io.reqctx.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.RetryConfig;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class DownstreamGuardTest {
  private final FakeTicker ticker = new FakeTicker();
  private final AtomicInteger downstreamCalls = new AtomicInteger();
  private volatile boolean downstreamUp;

  private final DownstreamGuard guard = DownstreamGuard.builder("cache")
      .retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ZERO).build())
      .ticker(ticker)
      .executor(Runnable::run)
      .circuitBreaker(CircuitBreakerConfig.custom()
          .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .slidingWindowSize(4).minimumNumberOfCalls(4).failureRateThreshold(50)
          .waitDurationInOpenState(Duration.ofSeconds(5)).permittedNumberOfCallsInHalfOpenState(1)
          .build())
      .build();

  private String downstream() throws IOException {
    downstreamCalls.incrementAndGet();
    if (!downstreamUp) {
      throw new IOException("cache unavailable");
    }
    return "fresh";
  }

  private GuardedResult<String> guardedCall() throws Exception {
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2)).open();
        Scope s = request.makeCurrent()) {
      return guard.call(this::downstream, (reason, failure) -> "stale");
    }
  }

  @Test
  void openBreakerServesTheFallbackMarkedDegradedAndRecoversAfterTheWait() throws Exception {
    GuardedResult<String> failed = guardedCall();      // 2 attempts fail
    assertThat(failed.degraded()).isTrue();
    assertThat(failed.degradedReason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
    guardedCall();                                     // 2 more: 4 of 4 failed, the breaker opens
    assertThat(guard.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.OPEN);

    int before = downstreamCalls.get();
    GuardedResult<String> rejected = guardedCall();
    assertThat(downstreamCalls).hasValue(before);      // the downstream was spared
    assertThat(rejected.value()).isEqualTo("stale");
    assertThat(rejected.degradedReason()).isEqualTo(StopReason.CIRCUIT_OPEN);
    assertThat(rejected.failure()).isInstanceOf(RetryStoppedException.class).hasMessageContaining("OPEN");

    downstreamUp = true;
    ticker.advance(Duration.ofSeconds(4));
    assertThat(guardedCall().degradedReason()).isEqualTo(StopReason.CIRCUIT_OPEN);
    ticker.advance(Duration.ofSeconds(1).plusMillis(1));
    GuardedResult<String> recovered = guardedCall();   // half-open probe succeeds
    assertThat(recovered.degraded()).isFalse();
    assertThat(recovered.value()).isEqualTo("fresh");
    assertThat(guard.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void breakerOpeningBetweenAttemptsStopsTheRetries() throws Exception {
    guardedCall();
    guardedCall();
    assertThat(guard.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(downstreamCalls).hasValue(4);
  }

  @Test
  void asyncFallbackIsMarkedDegraded() {
    guard.circuitBreaker().orElseThrow().transitionToForcedOpenState();
    CompletableFuture<GuardedResult<String>> result;
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2)).open();
        Scope s = request.makeCurrent()) {
      result = guard.callAsync(() -> CompletableFuture.completedFuture("fresh"), (reason, failure) -> "stale")
          .toCompletableFuture();
    }
    assertThat(result.join()).isEqualTo(GuardedResult.degraded("stale", StopReason.CIRCUIT_OPEN,
        result.join().failure()));
  }

  @Test
  void cancelledCallerGetsNoFallbackAndCostsTheBreakerNothing() {
    downstreamUp = false;
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2)).open();
        Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> guard.call(() -> {
        request.cancel();
        throw new IOException("cancelled under us");
      }, (reason, failure) -> "stale")).isInstanceOf(IOException.class);
    }
    assertThat(guard.circuitBreaker().orElseThrow().getMetrics().getNumberOfFailedCalls()).isZero();
  }

  @Test
  void fallbackThatThrowsFailsTheCall() {
    assertThatThrownBy(() -> guard.call(this::downstream, (reason, failure) -> {
      throw new IllegalStateException("no stale copy either");
    })).hasMessage("no stale copy either");
  }

  @Test
  void aCallerCancellingTheAsyncResultIsNotADownstreamFailure() {
    DownstreamGuard strict = DownstreamGuard.builder("slow-cache")
        .retry(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ZERO).build())
        .ticker(ticker)
        .executor(Runnable::run)
        .circuitBreaker(CircuitBreakerConfig.custom().slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(50).build())
        .build();
    for (int i = 0; i < 2; i++) {
      try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2)).open();
          Scope ignored = request.makeCurrent()) {
        // A healthy but slow downstream; the caller leaves before it answers.
        strict.<String>callAsync(CompletableFuture::new).toCompletableFuture().cancel(true);
      }
    }
    assertThat(strict.circuitBreaker().orElseThrow().getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(strict.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }
}
