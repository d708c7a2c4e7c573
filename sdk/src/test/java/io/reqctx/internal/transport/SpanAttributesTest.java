package io.reqctx.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.reqctx.Tier;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The attributes reqctx puts on its spans, read back from spans the OpenTelemetry SDK exported: the
 * same attributes, with their types, whether put on a span being built or on one another
 * instrumentation owns, and no budget attribute for a call without a deadline.
 */
class SpanAttributesTest {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .build();
  private final Tracer tracer = otel.getTracer("test");

  @AfterEach
  void close() {
    otel.close();
  }

  private Attributes exported() {
    assertThat(spans.getFinishedSpanItems()).hasSize(1);
    return spans.getFinishedSpanItems().get(0).getAttributes();
  }

  @Test
  void aServerSpanBeingBuiltGetsTierHopBudgetAndCallerTier() {
    var builder = tracer.spanBuilder("svc/M");
    SpanAttributes.inbound(SpanAttributes.Sink.of(builder), Tier.SERVICE, 3, Optional.of(Duration.ofMillis(2950)), Tier.GATEWAY);
    builder.startSpan().end();

    assertThat(exported().asMap()).containsOnly(
        Map.entry(SpanAttributes.TIER, "service"),
        Map.entry(SpanAttributes.HOP, 3L),
        Map.entry(SpanAttributes.INBOUND_BUDGET_MS, 2950L),
        Map.entry(SpanAttributes.CALLER_TIER, "gateway"));
  }

  @Test
  void aServerCallWithoutDeadlineOrKnownCallerGetsNeitherAttribute() {
    var builder = tracer.spanBuilder("svc/M");
    SpanAttributes.inbound(SpanAttributes.Sink.of(builder), Tier.SERVICE, 0, Optional.empty(), null);
    builder.startSpan().end();

    Attributes attributes = exported();
    assertThat(attributes.get(SpanAttributes.INBOUND_BUDGET_MS)).isNull();
    assertThat(attributes.get(SpanAttributes.CALLER_TIER)).isNull();
    assertThat(attributes.get(SpanAttributes.HOP)).isZero();
  }

  @Test
  void aClientSpanAnotherInstrumentationOwnsIsEnrichedWithTheSameAttributes() {
    Span owned = tracer.spanBuilder("client").startSpan();
    SpanAttributes.outbound(SpanAttributes.Sink.of(owned), Tier.SERVICE, Tier.CACHE, 2, Optional.of(Duration.ofMillis(800)));
    owned.end();

    assertThat(exported().asMap()).containsOnly(
        Map.entry(SpanAttributes.TIER, "service"),
        Map.entry(SpanAttributes.CALLEE_TIER, "cache"),
        Map.entry(SpanAttributes.HOP, 2L),
        Map.entry(SpanAttributes.OUTBOUND_BUDGET_MS, 800L));
  }

  @Test
  void aClientCallSentWithoutDeadlineHasNoBudgetAttribute() {
    var builder = tracer.spanBuilder("client");
    SpanAttributes.outbound(SpanAttributes.Sink.of(builder), Tier.GATEWAY, Tier.SERVICE, 1, Optional.empty());
    builder.startSpan().end();

    Attributes attributes = exported();
    assertThat(attributes.get(SpanAttributes.OUTBOUND_BUDGET_MS)).isNull();
    assertThat(attributes.get(AttributeKey.stringKey("reqctx.callee.tier"))).isEqualTo("service");
  }
}
