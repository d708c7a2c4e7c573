package io.reqctx.internal.transport;

import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Rejection;
import io.reqctx.transport.Outcome;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class InboundCallTest {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  static final CtxKey<String> SECRET = CtxKey.propagated("secret", KeyCodec.string()).sensitive().build();
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  final FakeTicker ticker = new FakeTicker();

  static HeaderReader headers(Map<String, List<String>> values) {
    return new HeaderReader() {
      @Override
      public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
      }

      @Override
      public Iterable<String> names() {
        return values.keySet();
      }
    };
  }

  static final HeaderReader FULL = headers(Map.of(
      "x-request-id", List.of("req-7"),
      "reqctx-tier", List.of("gateway"),
      "reqctx-hop", List.of("3"),
      "reqctx-attempt", List.of("2"),
      "reqctx-key-tenant", List.of("acme"),
      "reqctx-key-secret", List.of("s3cr3t"),
      "traceparent", List.of("00-" + TRACE_ID + "-00f067aa0ba902b7-01")));

  ServerConfig.Builder config(Trust trust) {
    return ServerConfig.builder(Tier.SERVICE, trust).acceptedKeys(TENANT, SECRET).openTelemetry(otel).ticker(ticker);
  }

  @Test
  void trustedCallerSetsHopAttemptTierKeysAndTrace() {
    try (InboundCall call = InboundCall.open(config(Trust.TRUSTED).build(), FULL, "svc/M", Duration.ofSeconds(10))) {
      assertThat(call.rejection()).isNull();
      assertThat(call.budget()).isEqualTo(Duration.ofSeconds(3));
      assertThat(call.ctx().requestId()).isEqualTo("req-7");
      assertThat(call.ctx().hopCount()).isEqualTo(3);
      assertThat(call.ctx().inboundAttempt()).isEqualTo(2);
      assertThat(call.callerTier()).contains(Tier.GATEWAY);
      assertThat(call.ctx().get(TENANT)).isEqualTo("acme");
      assertThat(call.ctx().get(SECRET)).isEqualTo("s3cr3t");
      assertThat(call.ctx().spanContext().getTraceId()).isEqualTo(TRACE_ID);
    }
    SpanData span = spans.getFinishedSpanItems().get(0);
    assertThat(span.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
    assertThat(span.getAttributes().asMap().toString())
        .contains("reqctx.outcome=ok", "reqctx.hop=3", "reqctx.budget.inbound_ms=3000", "reqctx.tier=service");
  }

  @Test
  void edgeIgnoresHopAttemptTierAndSensitiveKeysButKeepsTheClampedDeadline() {
    try (InboundCall call = InboundCall.open(config(Trust.EDGE).build(), FULL, "svc/M", Duration.ofMillis(700))) {
      assertThat(call.budget()).isEqualTo(Duration.ofMillis(700));
      assertThat(call.ctx().hopCount()).isZero();
      assertThat(call.ctx().inboundAttempt()).isEqualTo(1);
      assertThat(call.callerTier()).isEmpty();
      assertThat(call.ctx().get(TENANT)).isEqualTo("acme");
      assertThat(call.ctx().get(SECRET)).isNull();
      assertThat(call.ctx().requestId()).isEqualTo("req-7");
    }
  }

  @Test
  void methodBudgetAndTierCapBoundTheBudget() {
    ServerConfig config = config(Trust.TRUSTED)
        .methodBudgets(m -> Callee.of(m, Tier.SERVICE, Duration.ofMillis(250))).build();
    try (InboundCall call = InboundCall.open(config, headers(Map.of()), "svc/M", null)) {
      assertThat(call.budget()).isEqualTo(Duration.ofMillis(250));
      assertThat(call.ctx().remainingBudget()).contains(Duration.ofMillis(250));
      ticker.advance(Duration.ofMillis(250));
      assertThat(call.ctx().isCancelled()).isTrue();
    }
    assertThat(spans.getFinishedSpanItems().get(0).getAttributes().asMap().toString())
        .contains("reqctx.outcome=deadline_exceeded");
  }

  @Test
  void expiredInboundDeadlineIsRejected() {
    try (InboundCall call = InboundCall.open(config(Trust.TRUSTED).build(), headers(Map.of()), "svc/M", Duration.ZERO)) {
      assertThat(call.rejection()).isNotNull();
      assertThat(call.rejection().reason()).isEqualTo(Rejection.Reason.BUDGET_EXHAUSTED);
      assertThat(call.rejection().message()).contains("svc/M", "remaining 0ms", "cap 3000ms").doesNotContain("\n");
    }
  }

  @Test
  void hopCountAboveTheLimitIsRejected() {
    HeaderReader looping = headers(Map.of("reqctx-hop", List.of("9")));
    try (InboundCall call = InboundCall.open(config(Trust.TRUSTED).maxHops(8).build(), looping, "svc/M", null)) {
      assertThat(call.rejection().reason()).isEqualTo(Rejection.Reason.HOP_LIMIT);
      assertThat(call.rejection().message()).contains("hop count 9", "limit 8", "maxHops");
    }
    assertThat(spans.getFinishedSpanItems().get(0).getAttributes().asMap().toString()).contains("reqctx.outcome=rejected");
  }

  @Test
  void repeatedHeadersAreIgnoredAndABadRequestIdIsReplaced() {
    HeaderReader repeated = headers(Map.of(
        "reqctx-hop", List.of("1", "2"), "x-request-id", List.of("bad id"),
        "traceparent", List.of("00-" + TRACE_ID + "-00f067aa0ba902b7-01", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")));
    try (InboundCall call = InboundCall.open(config(Trust.TRUSTED).build(), repeated, "svc/M", null)) {
      assertThat(call.ctx().hopCount()).isZero();
      assertThat(call.ctx().requestId()).matches("[0-9a-f]{32}");
      assertThat(call.ctx().spanContext().getTraceId()).isNotEqualTo(TRACE_ID);
    }
  }

  @Test
  @SuppressWarnings("MustBeClosedChecker") // closed by hand, twice, on purpose
  void closeActsOnceAndSpansCanBeSwitchedOff() {
    InboundCall call = InboundCall.open(config(Trust.TRUSTED).spans(SpanMode.OFF).build(), FULL, "svc/M", null);
    call.close(Outcome.ERROR);
    call.close(Outcome.OK);
    assertThat(call.ctx().isCancelled()).isTrue();
    assertThat(spans.getFinishedSpanItems()).isEmpty();
    assertThat(call.ctx().spanContext().getTraceId()).isEqualTo(TRACE_ID);
  }

  @Test
  void cancelAndDeadlineBecomeSpanEventsWithTheirCause() {
    try (InboundCall cancelled = InboundCall.open(config(Trust.TRUSTED).build(), FULL, "svc/Cancelled", null)) {
      cancelled.cancel(new RuntimeException("client reset the stream"));
    }
    try (InboundCall expired = InboundCall.open(config(Trust.TRUSTED).build(), FULL, "svc/Expired", Duration.ofMillis(50))) {
      ticker.advance(Duration.ofMillis(50));
    }
    try (InboundCall ok = InboundCall.open(config(Trust.TRUSTED).build(), FULL, "svc/Ok", null)) {
      assertThat(ok.rejection()).isNull();
    }

    Map<String, SpanData> byName = new java.util.HashMap<>();
    spans.getFinishedSpanItems().forEach(span -> byName.put(span.getName(), span));
    assertThat(byName.get("svc/Cancelled").getEvents()).singleElement().satisfies(event -> {
      assertThat(event.getName()).isEqualTo("reqctx.cancelled");
      assertThat(event.getAttributes().asMap().toString()).contains("client reset the stream");
    });
    assertThat(byName.get("svc/Expired").getEvents()).singleElement()
        .satisfies(event -> assertThat(event.getName()).isEqualTo("reqctx.deadline_exceeded"));
    assertThat(byName.get("svc/Ok").getEvents()).as("closing is not a cancel").isEmpty();
  }
}
