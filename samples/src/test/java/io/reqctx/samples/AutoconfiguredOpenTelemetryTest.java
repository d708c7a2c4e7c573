package io.reqctx.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.GetRequest;
import io.reqctx.samples.proto.GetResponse;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's quick start: OpenTelemetry set up by {@code opentelemetry-sdk-extension-autoconfigure}
 * from {@code otel.*} settings alone, and reqctx configs built without {@code .openTelemetry(...)} trace
 * through it. The span exporter is a test one chosen by name ({@code otel.traces.exporter}), as a
 * service would choose {@code otlp} or {@code zipkin}; metrics go to OpenTelemetry's Prometheus exporter,
 * as the README's quick start sets them up.
 */
@ExtendWith(StrictLeakExtension.class)
class AutoconfiguredOpenTelemetryTest {
  static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  private Map<String, String> settings = Map.of();
  private int metricsPort;

  /** The test's exporter, found by autoconfigure through {@code META-INF/services}. */
  public static final class MemoryExporterProvider implements ConfigurableSpanExporterProvider {
    @Override
    public SpanExporter createExporter(ConfigProperties config) {
      return SPANS;
    }

    @Override
    public String getName() {
      return "reqctx-test-memory";
    }
  }

  @BeforeEach
  void configureAsAServiceWould() throws Exception {
    GlobalOpenTelemetry.resetForTest();
    SPANS.reset();
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      metricsPort = free.getLocalPort();
    }
    settings = Map.of(
        "otel.java.global-autoconfigure.enabled", "true",
        "otel.service.name", "autoconfigured-order",
        "otel.traces.exporter", "reqctx-test-memory",
        "otel.metrics.exporter", "prometheus",
        "otel.exporter.prometheus.host", "127.0.0.1",
        "otel.exporter.prometheus.port", Integer.toString(metricsPort),
        "otel.logs.exporter", "none",
        "otel.bsp.schedule.delay", "20");
    settings.forEach(System::setProperty);
  }

  @AfterEach
  void forget() {
    settings.keySet().forEach(System::clearProperty);
    GlobalOpenTelemetry.resetForTest();
  }

  @Test
  void configsWithoutAnOpenTelemetryTraceThroughTheAutoconfiguredSdk() throws Exception {
    ServerConfig serverConfig = ServerConfig.builder(Tier.CACHE, Trust.TRUSTED).build();
    ClientConfig clientConfig = ClientConfig.builder(Tier.CACHE).build();
    assertThat(GlobalOpenTelemetry.isSet()).as("building configs sets nothing up").isFalse();

    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(new CacheServiceGrpc.CacheServiceImplBase() {
          @Override
          public void get(GetRequest request, StreamObserver<GetResponse> response) {
            response.onNext(GetResponse.newBuilder().setFound(true).build());
            response.onCompleted();
          }
        }, RequestCtxServerInterceptor.create(serverConfig)))
        .build()
        .start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    try {
      GetResponse answer = CacheServiceGrpc.newBlockingStub(
              ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(clientConfig)))
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .get(GetRequest.newBuilder().setKey("k").build());
      assertThat(answer.getFound()).isTrue();
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> SPANS.getFinishedSpanItems().size() >= 2);
    List<SpanData> spans = SPANS.getFinishedSpanItems();
    SpanData client = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    SpanData serverSpan = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    assertThat(serverSpan.getTraceId()).isEqualTo(client.getTraceId());
    assertThat(serverSpan.getParentSpanId()).isEqualTo(client.getSpanId());
    assertThat(serverSpan.getInstrumentationScopeInfo().getName()).isEqualTo("io.reqctx");
    assertThat(serverSpan.getAttributes().get(AttributeKey.stringKey("reqctx.tier"))).isEqualTo("cache");
    assertThat(serverSpan.getAttributes().get(AttributeKey.longKey("reqctx.budget.inbound_ms"))).isBetween(1L, 800L);
    assertThat(serverSpan.getResource().getAttribute(AttributeKey.stringKey("service.name")))
        .isEqualTo("autoconfigured-order");
    assertThat(GlobalOpenTelemetry.isSet()).isTrue();

    // OTEL_METRICS_EXPORTER=prometheus: reqctx's metrics are scraped where the settings put them.
    HttpResponse<String> scrape = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
            .timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.body())
        .containsPattern("(?m)^reqctx_budget_at_arrival_milliseconds_count\\{[^}]*reqctx_tier=\"cache\"[^}]*\\} 1(\\.0)?$");
  }
}
