package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.GuardedResult;
import io.reqctx.resilience4j.StopReason;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.GetRequest;
import io.reqctx.samples.proto.GetResponse;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The inventory's breaker on a real cache tier on loopback, its time on a fake ticker: it opens when
 * the cache is killed and closes again once the cache is back and its open-state wait (2 s) is over.
 */
@ExtendWith(StrictLeakExtension.class)
class CacheBreakerRecoveryTest {
  private final FakeTicker breakerTime = new FakeTicker();
  private final DownstreamGuard guard = TierServer.cacheGuard(breakerTime);
  private final CircuitBreaker breaker = guard.circuitBreaker().orElseThrow();

  /** One cache read as the inventory makes it: through the guard, a fallback when no fresh answer comes. */
  private GuardedResult<GetResponse> read(CacheServiceGrpc.CacheServiceBlockingStub cache) throws Exception {
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(2)).open();
        Scope s = request.makeCurrent()) {
      return guard.call(() -> cache.get(GetRequest.newBuilder().setKey("stock:sku-1").build()),
          (reason, failure) -> null);
    }
  }

  @Test
  void breakerOpensOnAKilledCacheAndClosesOnceTheCacheIsBackAndTheShortWaitIsOver() throws Exception {
    HopLog log = new HopLog();
    TierServer cache = TierServer.start(Role.CACHE, 0, null, ChainMode.REQCTX, OpenTelemetry.noop(), log);
    int port = cache.port();
    ManagedChannel channel = NettyChannelBuilder.forTarget(cache.target()).usePlaintext().build();
    try {
      CacheServiceGrpc.CacheServiceBlockingStub stub = CacheServiceGrpc.newBlockingStub(ClientInterceptors.intercept(
          channel, RequestCtxClientInterceptor.create(
              ClientConfig.builder(Tier.CACHE).trusted(true).openTelemetry(OpenTelemetry.noop()).build())));
      // Connected and warm before the breaker is judged: a cold first call on a loaded machine may outlast its budget.
      await().atMost(Duration.ofSeconds(30)).until(() -> channel.getState(true) == ConnectivityState.READY);
      GuardedResult<GetResponse> first = read(stub);
      assertThat(first.degraded()).as("%s", first.failure()).isFalse();

      cache.close(); // killed: calls fail at once
      for (int i = 0; i < 10; i++) {
        assertThat(read(stub).degraded()).isTrue();
      }
      assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
      breakerTime.advance(Duration.ofMillis(1900));
      assertThat(read(stub).degradedReason()).isEqualTo(StopReason.CIRCUIT_OPEN); // the cache is spared

      breakerTime.advance(Duration.ofMillis(101)); // the 2 s wait is over: 3 probes, the cache is still down
      for (int i = 0; i < 3; i++) {
        assertThat(read(stub).degradedReason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
      }
      assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

      cache = TierServer.start(Role.CACHE, port, null, ChainMode.REQCTX, OpenTelemetry.noop(), log); // back
      // The channel reconnects on its own (real) backoff; each round lets the open-state wait pass and probes.
      await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).untilAsserted(() -> {
        if (breaker.getState() == CircuitBreaker.State.OPEN) {
          breakerTime.advance(Duration.ofSeconds(2).plusMillis(1));
        }
        read(stub);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
      });
      assertThat(read(stub).degraded()).isFalse();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      cache.close();
    }
  }
}
