package io.reqctx.internal.transport;

import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Rejection;
import io.reqctx.transport.Outcome;
import com.google.errorprone.annotations.MustBeClosed;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.reqctx.BudgetPolicy;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class OutboundCallTest {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  static final CtxKey<String> SECRET = CtxKey.propagated("secret", KeyCodec.string()).sensitive().build();
  static final CtxKey<String> LOCAL = CtxKey.local("local");

  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  final FakeTicker ticker = new FakeTicker();

  @MustBeClosed
  CancellableCtx scope(Duration budget) {
    return CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(budget).requestId("req-9").hopCount(2)
        .value(TENANT, "acme").value(SECRET, "s3cr3t").value(LOCAL, "never").open();
  }

  @Test
  void writesReqctxHeadersAndTraceForATrustedPeer() {
    Map<String, String> written = new LinkedHashMap<>();
    try (CancellableCtx scope = scope(Duration.ofSeconds(2))) {
      OutboundCall call = OutboundCall.prepare(
          ClientConfig.builder(Tier.CACHE).trusted(true).openTelemetry(otel).build(),
          Context.root().with(scope.ctx()), "cache/Get");
      assertThat(call.rejection()).isNull();
      assertThat(call.budget()).contains(Duration.ofMillis(800));
      call.writeHeaders(written::put);
      call.end(Outcome.OK);
      call.end(Outcome.ERROR);
    }
    assertThat(written).containsEntry("x-request-id", "req-9").containsEntry("reqctx-tier", "service")
        .containsEntry("reqctx-hop", "3").containsEntry("reqctx-attempt", "1")
        .containsEntry("reqctx-key-tenant", "acme").containsEntry("reqctx-key-secret", "s3cr3t")
        .containsKey("traceparent").doesNotContainKey("reqctx-key-local").doesNotContainKey("grpc-timeout");
    assertThat(spans.getFinishedSpanItems()).hasSize(1);
    assertThat(spans.getFinishedSpanItems().get(0).getAttributes().asMap().toString())
        .contains("reqctx.outcome=ok", "reqctx.budget.outbound_ms=800", "reqctx.callee.tier=cache");
  }

  @Test
  void sensitiveKeysStayOffAnUntrustedPeer() {
    Map<String, String> written = new LinkedHashMap<>();
    try (CancellableCtx scope = scope(Duration.ofSeconds(2))) {
      OutboundCall.prepare(ClientConfig.builder(Tier.CACHE).openTelemetry(otel).build(),
          Context.root().with(scope.ctx()), "cache/Get").writeHeaders(written::put);
    }
    assertThat(written).containsKey("reqctx-key-tenant").doesNotContainKey("reqctx-key-secret");
  }

  @Test
  void tightBudgetIsRejectedWithTheNumbersAndTheSpanIsEnded() {
    BudgetPolicy reserve30 = BudgetPolicy.builder().reserveFloor(Duration.ofMillis(30))
        .reserveFraction(0).minimumViableBudget(Duration.ofMillis(25)).build();
    try (CancellableCtx scope = scope(Duration.ofMillis(50))) {
      OutboundCall call = OutboundCall.prepare(
          ClientConfig.builder(Tier.CACHE).policy(reserve30).openTelemetry(otel).build(),
          Context.root().with(scope.ctx()), "cache/Get");
      assertThat(call.rejection().reason()).isEqualTo(Rejection.Reason.BUDGET_EXHAUSTED);
      assertThat(call.rejection().message()).contains("budget 20ms", "remaining 50ms", "reserve 30ms", "25ms");
      assertThat(call.budget()).isEmpty();
    }
    assertThat(spans.getFinishedSpanItems().get(0).getAttributes().asMap().toString())
        .contains("reqctx.outcome=rejected_budget");
  }

  @Test
  void cancelledCtxIsRejected() {
    try (CancellableCtx scope = scope(Duration.ofSeconds(1))) {
      scope.cancel();
      OutboundCall call = OutboundCall.prepare(ClientConfig.builder(Tier.CACHE).openTelemetry(otel).build(),
          Context.root().with(scope.ctx()), "cache/Get");
      assertThat(call.rejection().reason()).isEqualTo(Rejection.Reason.CANCELLED);
    }
  }

  @Test
  void rootCtxSendsTheCalleeCapAndNoRequestId() {
    Map<String, String> written = new LinkedHashMap<>();
    OutboundCall call = OutboundCall.prepare(
        ClientConfig.builder(Tier.CACHE).openTelemetry(otel).spans(SpanMode.OFF).build(), Context.root(), "cache/Get");
    call.writeHeaders(written::put);
    call.end(Outcome.OK);
    assertThat(call.budget()).contains(Duration.ofMillis(800));
    assertThat(written).doesNotContainKey("x-request-id").containsEntry("reqctx-hop", "1");
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void aHopsOwnCallsStartAgainAtAttemptOneWhateverAttemptItWas() {
    Map<String, String> first = new LinkedHashMap<>();
    Map<String, String> retried = new LinkedHashMap<>();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2))
        .inboundAttempt(3).open()) {
      ClientConfig config = ClientConfig.builder(Tier.CACHE).openTelemetry(otel).spans(SpanMode.OFF).build();
      OutboundCall.prepare(config, Context.root().with(scope.ctx()), "cache/Get").writeHeaders(first::put);
      OutboundCall.prepare(config, Context.root().with(scope.ctx().withOutgoingAttempt(2)), "cache/Get")
          .writeHeaders(retried::put);
    }
    assertThat(first).containsEntry("reqctx-attempt", "1");
    assertThat(retried).containsEntry("reqctx-attempt", "2");
  }
}
