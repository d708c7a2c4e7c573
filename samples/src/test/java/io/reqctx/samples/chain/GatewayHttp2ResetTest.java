package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.ClientRequestContextCaptor;
import com.linecorp.armeria.client.Clients;
import com.linecorp.armeria.client.ConnectionPoolListener;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import io.netty.util.AttributeMap;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.testing.StrictLeakExtension;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that cancels far more streams on one HTTP/2 connection than Armeria's default allows (400
 * resets a minute, then GOAWAY), against the sample gateway and its chain on loopback: the gateway's
 * settings keep the connection open, so the requests the client did not cancel all succeed.
 */
@ExtendWith(StrictLeakExtension.class)
class GatewayHttp2ResetTest {
  private static final int WAVES = 8;
  private static final int CANCELS_PER_WAVE = 100;
  private static final List<TierServer> servers = new ArrayList<>();
  private static String gateway;

  @BeforeAll
  static void startChain() {
    HopLog log = new HopLog(report -> {});
    String downstream = null;
    for (Role role : List.of(Role.CACHE, Role.INVENTORY, Role.ORDER, Role.GATEWAY)) {
      TierServer server = TierServer.start(role, 0, downstream, ChainMode.REQCTX, OpenTelemetry.noop(), log);
      servers.add(0, server);
      downstream = server.target();
    }
    gateway = downstream;
  }

  @AfterAll
  static void stopChain() throws Exception {
    for (TierServer server : servers) {
      server.close();
    }
  }

  @Test
  void cancellingThousandsOfStreamsOnOneConnectionDoesNotFailTheOtherRequestsOnIt() throws Exception {
    AtomicInteger connections = new AtomicInteger();
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
      assertThat(client.get("/orders/warm").aggregate().join().status().code()).isEqualTo(200);

      List<CompletableFuture<AggregatedHttpResponse>> others = new ArrayList<>();
      int resets = 0;
      for (int wave = 0; wave < WAVES; wave++) {
        // A request the client wants, in flight while the next wave of cancels goes out on the same connection.
        others.add(client.get("/orders/keep-" + wave + "?inventoryDelayMs=1500").aggregate());
        List<CompletableFuture<Void>> cancelled = new ArrayList<>();
        for (int i = 0; i < CANCELS_PER_WAVE; i++) {
          HttpResponse response;
          ClientRequestContext ctx;
          try (ClientRequestContextCaptor captor = Clients.newContextCaptor()) {
            response = client.get("/orders/gone-" + wave + "-" + i + "?cacheDelayMs=3000");
            ctx = captor.get();
          }
          // Reset the stream once it exists on the server (its headers were sent).
          cancelled.add(ctx.log().whenAvailable(RequestLogProperty.REQUEST_HEADERS).thenRun(response::abort));
          response.aggregate().exceptionally(t -> null);
        }
        CompletableFuture.allOf(cancelled.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        resets += CANCELS_PER_WAVE;
      }

      assertThat(resets).as("twice what Armeria allows by default in a minute").isGreaterThanOrEqualTo(2 * 400);
      for (CompletableFuture<AggregatedHttpResponse> other : others) {
        AggregatedHttpResponse response = other.get(30, TimeUnit.SECONDS);
        assertThat(response.status().code()).as(response.contentUtf8()).isEqualTo(200);
      }
      assertThat(connections).as("the client never had to open a second connection").hasValue(1);
    }
  }
}
