package io.reqctx.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.timelimiter.TimeLimiter;
import io.opentelemetry.context.Scope;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class AttemptTimeLimitTest {
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void timeoutComesFromTheBudgetAndStopsTheWorkAndItsCtx() {
    DownstreamGuard limiter = DownstreamGuard.builder("reports").timeLimiter(TimeLimiter.of(Duration.ofSeconds(1)))
        .ticker(ticker).build();
    CompletableFuture<String> work = new CompletableFuture<>();
    AtomicReference<RequestCtx> workCtx = new AtomicReference<>();
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofMillis(400))
            .inboundAttempt(2).open();
        Scope s = request.makeCurrent()) {
      CompletableFuture<String> result = limiter.callAsync(() -> {
        workCtx.set(RequestCtx.current());
        return work;
      }).toCompletableFuture();
      assertThat(workCtx.get().inboundAttempt()).isEqualTo(2); // the work keeps the inbound attempt
      ticker.advance(Duration.ofMillis(387));            // 400 - (5 + 2 % of 400)
      assertThat(result).isCompletedExceptionally();
      assertThatThrownBy(result::join).cause().isInstanceOf(AttemptTimeoutException.class)
          .hasMessageContaining("387ms");
      assertThat(work).isCancelled();
      assertThat(workCtx.get().isCancelled()).isTrue();
      assertThat(request.ctx().isCancelled()).isFalse();
    }
  }

  @Test
  void capBoundsTheTimeoutWhenTheBudgetIsLarger() throws Exception {
    DownstreamGuard limiter = DownstreamGuard.builder("reports").timeLimiter(TimeLimiter.of(Duration.ofMillis(100)))
        .ticker(ticker).build();
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2)).open();
        Scope s = request.makeCurrent()) {
      assertThat(limiter.call(() -> RequestCtx.current().remainingBudget().orElseThrow()))
          .isEqualTo(Duration.ofMillis(100));
    }
  }
}
