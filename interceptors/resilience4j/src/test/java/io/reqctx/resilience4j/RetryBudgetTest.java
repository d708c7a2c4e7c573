package io.reqctx.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.retry.RetryConfig;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class RetryBudgetTest {
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void burstOfFailingRequestsRetriesWithinTheRatioPlusTheFloor() throws Exception {
    double ratio = 0.1;
    int floorPerSecond = 2;
    Duration window = Duration.ofSeconds(1);
    RetryBudget budget =
        RetryBudget.builder().ratio(ratio).minRetriesPerSecond(floorPerSecond).window(window).ticker(ticker).build();
    DownstreamGuard retry = DownstreamGuard.builder("failing")
        .retry(RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ZERO).build())
        .retryBudget(budget).ticker(ticker).build();
    AtomicInteger calls = new AtomicInteger();
    int requests = 200;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int i = 0; i < requests; i++) {
        pool.execute(() -> {
          try {
            retry.call(() -> {
              calls.incrementAndGet();
              throw new IOException("unavailable");
            });
          } catch (Exception expected) {
            // every request fails
          }
        });
      }
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    int retries = calls.get() - requests;
    assertThat(retries).isLessThanOrEqualTo((int) (ratio * requests + floorPerSecond * 1));
    assertThat(retries).isGreaterThanOrEqualTo(20); // the budget is used, not left idle
    assertThat(budget.retriesInWindow()).isEqualTo(retries);
  }

  @Test
  void quietClientStillRetriesUpToTheFloor() {
    RetryBudget budget = RetryBudget.builder().ratio(0.2).minRetriesPerSecond(1).window(Duration.ofSeconds(3))
        .ticker(ticker).build();
    budget.recordRequest();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isTrue();  // floor: 1/s x 3 s
    assertThat(budget.tryAcquireRetry()).isFalse(); // 0.2 x 1 request adds nothing whole
  }

  @Test
  void budgetRefillsAsTheWindowSlides() {
    RetryBudget budget = RetryBudget.builder().ratio(0).minRetriesPerSecond(1).window(Duration.ofSeconds(1))
        .ticker(ticker).build();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isFalse();
    ticker.advance(Duration.ofMillis(500));
    assertThat(budget.tryAcquireRetry()).isFalse();
    ticker.advance(Duration.ofMillis(600));
    assertThat(budget.tryAcquireRetry()).isTrue();
  }

  @Test
  void builderRefusesNonsense() {
    assertThatThrownBy(() -> RetryBudget.builder().ratio(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryBudget.builder().window(Duration.ofMillis(1)))
        .hasMessageContaining("at least 10ms");
  }
}
