package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.reqctx.samples.demo.EmbeddedChain;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The throughput benchmark's baseline chain ({@code serve --otel-tracing-only}): no reqctx, but every
 * hop traced with OpenTelemetry, one trace across the four tiers.
 */
class OtelTracingOnlyChainTest {
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  static EmbeddedChain chain;
  static WebClient curl;

  @BeforeAll
  static void startChain() throws Exception {
    chain = EmbeddedChain.start(ChainMode.OTEL_TRACING_ONLY, role -> otel, new HopLog());
    curl = WebClient.of(chain.gatewayUri());
  }

  @AfterAll
  static void stopChain() throws Exception {
    chain.close();
    otel.close();
  }

  @Test
  void everyHopIsTracedInOneTraceWithoutAnyReqctxHeader() {
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    AggregatedHttpResponse response = curl.prepare().get("/orders/42").header("traceparent", traceparent)
        .execute().aggregate().join();
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get("x-request-id")).isNull(); // reqctx's gateway would have set one

    // 4 SERVER spans (gateway, order, inventory, cache) and 3 CLIENT spans between them.
    await().atMost(Duration.ofSeconds(30)).until(() -> spans.getFinishedSpanItems().size() >= 7);
    List<SpanData> finished = spans.getFinishedSpanItems();
    assertThat(finished).extracting(SpanData::getTraceId).containsOnly("0af7651916cd43dd8448eb211c80319c");
    Map<SpanKind, Long> byKind = finished.stream().collect(Collectors.groupingBy(SpanData::getKind, Collectors.counting()));
    assertThat(byKind).containsEntry(SpanKind.SERVER, 4L).containsEntry(SpanKind.CLIENT, 3L);
    Map<String, SpanData> byId = finished.stream().collect(Collectors.toMap(SpanData::getSpanId, Function.identity()));
    for (SpanData span : finished) {
      if (span.getKind() == SpanKind.SERVER && !span.getParentSpanId().equals("b7ad6b7169203331")) {
        assertThat(byId.get(span.getParentSpanId()).getKind()).as("parent of %s", span.getName()).isEqualTo(SpanKind.CLIENT);
      }
    }
    Set<String> names = finished.stream().filter(s -> s.getKind() == SpanKind.SERVER).map(SpanData::getName)
        .collect(Collectors.toSet());
    assertThat(names).hasSize(4).anyMatch(name -> name.startsWith("GET /orders/"));
  }
}
