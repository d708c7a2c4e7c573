package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ConnectionPoolListener;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import io.netty.util.AttributeMap;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.CtxObserver;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.samples.demo.EmbeddedChain;
import io.reqctx.testing.StrictLeakExtension;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that cancels far more streams on one HTTP/2 connection than Armeria's default allows (400
 * resets a minute, then GOAWAY), against the sample gateway and its chain on loopback: the gateway's
 * settings keep the connection open, so every request the client did not cancel gets its answer.
 * With {@code GATEWAY_MAX_RESETS} at Armeria's default this test fails.
 */
@ExtendWith(StrictLeakExtension.class)
class GatewayHttp2ResetTest {
  private static final int WAVES = 8;
  private static final int CANCELS_PER_WAVE = 125;
  private static EmbeddedChain chain;
  private static String gateway;
  /** Requests the gateway has opened a scope for, by request id. */
  private static final Map<String, CompletableFuture<Void>> openedAtGateway = new ConcurrentHashMap<>();

  @BeforeAll
  static void startChain() throws Exception {
    chain = EmbeddedChain.start(ChainMode.REQCTX, role -> OpenTelemetry.noop(), new HopLog(report -> {}));
    gateway = chain.gatewayUri().getAuthority();
  }

  @AfterAll
  static void stopChain() throws Exception {
    chain.close();
  }

  @Test
  void cancellingThousandsOfStreamsOnOneConnectionDoesNotFailTheOtherRequestsOnIt() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    CtxObserver.Registration gatewayOpens = CtxObserver.register(new CtxObserver() {
      @Override
      public void onOpen(RequestCtx ctx) {
        if (ctx.tier() == Tier.GATEWAY) {
          openedAtGateway.computeIfAbsent(ctx.requestId(), k -> new CompletableFuture<>()).complete(null);
        }
      }
    });
    try (ClientFactory factory = ClientFactory.builder()
        .connectionPoolListener(new ConnectionPoolListener() {
          @Override
          public void connectionOpen(SessionProtocol protocol, InetSocketAddress remote, InetSocketAddress local,
              AttributeMap attrs) {
            connections.incrementAndGet();
          }

          @Override
          public void connectionClosed(SessionProtocol protocol, InetSocketAddress remote, InetSocketAddress local,
              AttributeMap attrs) {}
        })
        .build()) {
      WebClient client = WebClient.builder("h2c://" + gateway).factory(factory).responseTimeout(Duration.ofSeconds(30)).build();
      // No warm-up: Netty judges resets in windows that start when the connection opens, and the storm
      // must fall in the first one to be one Armeria's default (400 a minute) would refuse.
      List<CompletableFuture<AggregatedHttpResponse>> others = new ArrayList<>();
      int resets = 0;
      for (int wave = 0; wave < WAVES; wave++) {
        // A request the client wants, in flight while the next wave of cancels goes out on the same connection.
        others.add(client.get("/orders/keep-" + wave + "?inventoryDelayMs=300").aggregate());
        List<CompletableFuture<?>> cancelled = new ArrayList<>();
        for (int i = 0; i < CANCELS_PER_WAVE; i++) {
          String id = "gone-" + wave + "-" + i;
          CompletableFuture<Void> opened = openedAtGateway.computeIfAbsent(id, k -> new CompletableFuture<>());
          HttpResponse response = client.execute(RequestHeaders.builder(HttpMethod.GET, "/orders/" + id + "?cacheDelayMs=3000")
              .set("x-request-id", id).build());
          // Reset the stream once the gateway has opened the request (a real reset, of a stream it knows),
          // from a thread of the test's, not from inside the gateway's open.
          cancelled.add(opened.thenRunAsync(response::abort, CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS)));
          cancelled.add(response.aggregate().handle((r, e) -> null));
        }
        CompletableFuture.allOf(cancelled.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        resets += CANCELS_PER_WAVE;
      }

      assertThat(resets).as("more than twice what Armeria allows by default in a minute").isGreaterThan(2 * 400);
      // Each is answered by the gateway (a GOAWAY fails it on the client instead, with an exception); under
      // this load a slow one may be a 504 that names its budget: the chain's answer, not the connection's.
      int ok = 0;
      for (int wave = 0; wave < WAVES; wave++) {
        AggregatedHttpResponse response = others.get(wave).get(60, TimeUnit.SECONDS);
        assertThat(response.status().code()).as("keep-%d: %s", wave, response.contentUtf8()).isIn(200, 504);
        ok += response.status().code() == 200 ? 1 : 0;
      }
      assertThat(ok).as("answered 200").isPositive();
      assertThat(connections).as("the client never had to open a second connection").hasValue(1);
    } finally {
      gatewayOpens.close();
    }
  }
}
