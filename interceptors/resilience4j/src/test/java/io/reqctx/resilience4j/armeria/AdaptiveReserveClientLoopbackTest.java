package io.reqctx.resilience4j.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.BudgetPolicy;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.armeria.RequestCtxClient;
import io.reqctx.armeria.RequestCtxService;
import io.reqctx.internal.wire.ElapsedMicros;
import io.reqctx.resilience4j.TestTelemetry;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The adaptive reserve over a real Armeria server on 127.0.0.1: the trusted service reports its elapsed
 * time in a response header (after stripping any reqctx-* header the handler set), the edge service
 * does not, and a client with an adaptive reserve reserves the observed transit once it knows 20 calls.
 */
@ExtendWith(StrictLeakExtension.class)
class AdaptiveReserveClientLoopbackTest {
  static final Tier LEAF = Tier.define("adaptive-reserve-armeria-leaf", 146, Duration.ofSeconds(60));

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      // A handler that tries to answer with its own value: reqctx replaces it with the measured one.
      com.linecorp.armeria.server.HttpService leaf = (ctx, req) -> HttpResponse.of(
          com.linecorp.armeria.common.ResponseHeaders.builder(200).set("reqctx-elapsed-us", "forged").build(),
          com.linecorp.armeria.common.HttpData.ofUtf8("ok"));
      sb.service("/trusted", leaf.decorate(RequestCtxService.newDecorator(
          ServerConfig.builder(LEAF, Trust.TRUSTED).openTelemetry(OpenTelemetry.noop()).build())));
      sb.service("/edge", leaf.decorate(RequestCtxService.newDecorator(
          ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).openTelemetry(OpenTelemetry.noop()).build())));
    }
  };

  @Test
  void theTrustedServerReportsItsElapsedTimeAndTheClientReservesTheObservedTransit() {
    TestTelemetry telemetry = new TestTelemetry();
    BudgetPolicy adaptive = BudgetPolicy.builder().adaptiveReserve(Duration.ofNanos(500_000), Duration.ofMillis(50)).build();
    WebClient client = WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(LEAF).trusted(true).policy(adaptive)
            .openTelemetry(telemetry.openTelemetry).build()))
        .build();
    for (int i = 0; i < 21; i++) {
      AggregatedHttpResponse response;
      try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofSeconds(30)).open();
          Scope s = request.makeCurrent()) {
        response = client.get("/trusted").aggregate().join();
      }
      assertThat(response.contentUtf8()).isEqualTo("ok");
      assertThat(ElapsedMicros.parseMicros(response.headers().get("reqctx-elapsed-us"))).isPresent();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> telemetry.spans.getFinishedSpanItems().size() == 21);
    List<SpanData> spans = telemetry.spans.getFinishedSpanItems();
    SpanData learned = spans.get(20);
    assertThat(learned.getAttributes().get(AttributeKey.stringKey("reqctx.reserve.source"))).isEqualTo("adaptive");
    assertThat(learned.getAttributes().get(AttributeKey.doubleKey("reqctx.reserve_ms"))).isBetween(0.5, 50.0);
  }

  @Test
  void anEdgeServerDoesNotTellItsCallersHowLongItWorked() {
    AggregatedHttpResponse response = WebClient.of("http://127.0.0.1:" + server.httpPort()).get("/edge").aggregate().join();
    assertThat(response.contentUtf8()).isEqualTo("ok");
    assertThat(response.headers().contains("reqctx-elapsed-us")).isFalse();
  }
}
