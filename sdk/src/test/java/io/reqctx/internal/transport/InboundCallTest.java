package io.reqctx.internal.transport;

import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import io.reqctx.transport.SpanMode;
import io.reqctx.Rejection;
import io.reqctx.Outcome;
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
      assertThat(call.budget()).contains(Duration.ofSeconds(3));
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
      assertThat(call.budget()).contains(Duration.ofMillis(700));
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
      assertThat(call.budget()).contains(Duration.ofMillis(250));
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
      cancelled.cancel(new java.util.concurrent.CancellationException("client reset the stream"));
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

  @Test
  void longLivedMethodIsNotCutAtTheTierCap() {
    ServerConfig config = config(Trust.TRUSTED)
        .longLivedMethod("svc/Watch").longLivedMethod("svc/Export", Duration.ofSeconds(30)).build();
    try (InboundCall watch = InboundCall.open(config, headers(Map.of()), "svc/Watch", null);
        InboundCall export = InboundCall.open(config, headers(Map.of()), "svc/Export", null);
        InboundCall bounded = InboundCall.open(config, headers(Map.of()), "svc/Watch", Duration.ofSeconds(10));
        InboundCall normal = InboundCall.open(config, headers(Map.of()), "svc/Get", null)) {
      assertThat(watch.budget()).isEmpty();
      assertThat(watch.ctx().deadline()).isEmpty();
      assertThat(export.budget()).contains(Duration.ofSeconds(30));
      assertThat(bounded.budget()).as("the caller's deadline still applies").contains(Duration.ofSeconds(10));
      assertThat(normal.budget()).contains(Duration.ofSeconds(3));
      ticker.advance(Duration.ofSeconds(5));
      assertThat(normal.ctx().isCancelled()).isTrue();
      assertThat(watch.ctx().isCancelled()).isFalse();
      assertThat(export.ctx().isCancelled()).isFalse();
      assertThat(bounded.ctx().isCancelled()).isFalse();
    }
    assertThat(spans.getFinishedSpanItems()).filteredOn(span -> span.getName().equals("svc/Watch"))
        .allSatisfy(span -> assertThat(span.getAttributes().asMap().toString()).contains("reqctx.outcome=ok"));
  }

  @Test
  void hugeTierCapsAndMethodBudgetsSaturateAndTheCallClosesCleanly() {
    Tier endless = Tier.define("inbound-endless", 7, Duration.ofSeconds(Long.MAX_VALUE));
    ServerConfig config = ServerConfig.builder(endless, Trust.TRUSTED).openTelemetry(otel).ticker(ticker)
        .methodBudgets(m -> Callee.of(m, endless, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))).build();
    try (InboundCall call = InboundCall.open(config, FULL, "svc/Endless", Duration.ofNanos(Long.MAX_VALUE))) {
      assertThat(call.budget()).contains(Duration.ofDays(36_500));
      assertThat(call.ctx().remainingBudget()).contains(Duration.ofDays(36_500));
    }
    assertThat(ticker.pendingAlarms()).isZero();
    assertThat(spans.getFinishedSpanItems()).singleElement().satisfies(span ->
        assertThat(span.getAttributes().asMap().toString())
            .contains("reqctx.budget.inbound_ms=" + Duration.ofDays(36_500).toMillis(), "reqctx.outcome=ok"));
  }

  @Test
  void aStepThatThrowsBeforeTheScopeOpensLeavesNothingBehind() {
    java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
    ServerConfig config = config(Trust.TRUSTED).methodBudgets(m -> {
      throw new IllegalStateException("budget file unreadable");
    }).build();
    try (io.reqctx.CtxObserver.Registration r = io.reqctx.CtxObserver.register(new io.reqctx.CtxObserver() {
      @Override
      public void onOpen(io.reqctx.RequestCtx ctx) {
        opened.incrementAndGet();
      }
    })) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> InboundCall.open(config, FULL, "svc/M", Duration.ofSeconds(1)))
          .hasMessage("budget file unreadable");
    }
    assertThat(opened).hasValue(0);
    assertThat(ticker.pendingAlarms()).isZero();
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void aStepThatThrowsAfterTheScopeOpenedClosesItAndEndsTheSpan() {
    java.util.List<io.reqctx.CtxObserver.CtxEnd> closed = new java.util.concurrent.CopyOnWriteArrayList<>();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).ticker(ticker)
        .openTelemetry(BrokenMetrics.openTelemetry(otel)).build();
    try (io.reqctx.CtxObserver.Registration r = io.reqctx.CtxObserver.register(new io.reqctx.CtxObserver() {
      @Override
      public void onClose(CtxEnd end) {
        closed.add(end);
      }
    })) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> InboundCall.open(config, FULL, "svc/M", Duration.ofSeconds(1)))
          .hasMessageContaining("metrics backend down");
    }
    assertThat(closed).hasSize(1);
    assertThat(ticker.pendingAlarms()).as("the deadline alarm is disarmed").isZero();
    assertThat(spans.getFinishedSpanItems()).singleElement().satisfies(span -> assertThat(span.getName()).isEqualTo("svc/M"));
  }

  @Test
  void theScopeEndsWithTheOutcomeOfTheCall() {
    java.util.Map<String, io.reqctx.Outcome> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
    try (io.reqctx.CtxObserver.Registration r = io.reqctx.CtxObserver.register(new io.reqctx.CtxObserver() {
      @Override
      public void onClose(CtxEnd end) {
        outcomes.put(end.ctx().requestId(), end.outcome());
      }
    })) {
      for (io.reqctx.Outcome outcome : java.util.List.of(Outcome.OK, Outcome.ERROR, Outcome.CANCELLED, Outcome.DEADLINE_EXCEEDED)) {
        try (InboundCall call = InboundCall.open(config(Trust.TRUSTED).build(),
            headers(Map.of("x-request-id", List.of("req-" + outcome))), "svc/M", null)) {
          call.close(outcome);
        }
      }
      try (InboundCall thrown = InboundCall.open(config(Trust.TRUSTED).build(),
          headers(Map.of("x-request-id", List.of("req-thrown"))), "svc/M", null)) {
        thrown.cancel(new IllegalArgumentException("handler bug"));
      }
    }
    assertThat(outcomes).containsEntry("req-OK", Outcome.OK).containsEntry("req-ERROR", Outcome.ERROR)
        .containsEntry("req-CANCELLED", Outcome.CANCELLED).containsEntry("req-DEADLINE_EXCEEDED", Outcome.DEADLINE_EXCEEDED)
        .containsEntry("req-thrown", Outcome.ERROR);
    assertThat(spans.getFinishedSpanItems()).filteredOn(span -> !span.getAttributes().asMap().toString().contains("outcome=ok"))
        .hasSize(4).allSatisfy(span -> assertThat(span.getStatus().getStatusCode())
            .isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR));
  }

  @Test
  void aCallerThatLeavesJustBeforeItsDeadlineCountsAsTheDeadline() {
    try (InboundCall early = InboundCall.open(config(Trust.TRUSTED).build(), FULL, "svc/Early", Duration.ofMillis(500));
        InboundCall late = InboundCall.open(config(Trust.TRUSTED).build(), FULL, "svc/Late", Duration.ofMillis(500));
        InboundCall noDeadline = InboundCall.open(config(Trust.TRUSTED).build(), FULL, "svc/None", null)) {
      ticker.advance(Duration.ofMillis(200));
      early.callerLeft();
      ticker.advance(Duration.ofMillis(260)); // 40 ms before the caller's deadline
      late.callerLeft();
      noDeadline.callerLeft();
      assertThat(io.reqctx.Outcome.ofCancellation(early.ctx().cancellationCause())).isEqualTo(Outcome.CANCELLED);
      assertThat(io.reqctx.Outcome.ofCancellation(late.ctx().cancellationCause())).isEqualTo(Outcome.DEADLINE_EXCEEDED);
      assertThat(io.reqctx.Outcome.ofCancellation(noDeadline.ctx().cancellationCause())).isEqualTo(Outcome.CANCELLED);
    }
  }
}
