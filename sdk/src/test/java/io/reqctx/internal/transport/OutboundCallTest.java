package io.reqctx.internal.transport;

import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.Rejection;
import io.reqctx.Outcome;
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
import io.reqctx.Callee;
import io.reqctx.CancellableCtx;
import io.reqctx.OutboundBudget;
import io.reqctx.RequestCtx;
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

  /** A writer that records into {@code headers}, as a transport's adapter writes a request. */
  static HeaderWriter writer(Map<String, String> headers) {
    return new HeaderWriter() {
      @Override
      public void put(String name, String value) {
        headers.put(name, value);
      }

      @Override
      public void remove(String name) {
        headers.remove(name);
      }
    };
  }

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
      call.writeHeaders(writer(written));
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
          Context.root().with(scope.ctx()), "cache/Get").writeHeaders(writer(written));
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
      assertThat(spans.getFinishedSpanItems()).as("nothing starts before start()").isEmpty();
      call.start();
    }
    assertThat(spans.getFinishedSpanItems().get(0).getAttributes().asMap().toString())
        .contains("reqctx.outcome=rejected", "reqctx.reason=budget_exhausted");
  }

  @Test
  void aCallInsideAGuardedAttemptTakesTheReserveOnceFromTheRequestsTime() {
    BudgetPolicy policy = BudgetPolicy.builder().reserveFloor(Duration.ofMillis(5)).reserveFraction(0)
        .minimumViableBudget(Duration.ofMillis(1)).build();
    ClientConfig config = ClientConfig.builder(Tier.CACHE).openTelemetry(otel).policy(policy).build();
    try (CancellableCtx request = scope(Duration.ofMillis(22));
        CancellableCtx attempt = CancellableCtx.childOf(request.ctx(), Duration.ofMillis(17))) { // 22 - reserve 5
      RequestCtx marked = AttemptBound.mark(attempt.ctx(), request.ctx());
      assertThat(OutboundCall.prepare(config, Context.root().with(marked), "cache/Get").budget())
          .contains(Duration.ofMillis(17));
      // Unmarked, the same attempt takes the reserve again: 17 - 5.
      assertThat(OutboundCall.prepare(config, Context.root().with(attempt.ctx()), "cache/Get").budget())
          .contains(Duration.ofMillis(12));
      // A scope opened inside the attempt with its own deadline is not the attempt: its own reserve applies.
      try (CancellableCtx inside = CancellableCtx.childOf(marked, Duration.ofMillis(10))) {
        assertThat(OutboundCall.prepare(config, Context.root().with(inside.ctx()), "cache/Get").budget())
            .contains(Duration.ofMillis(5));
      }
    }
    // An attempt shorter than the request's time less the reserve (a per-attempt cap) is sent as is.
    try (CancellableCtx request = scope(Duration.ofMillis(200));
        CancellableCtx attempt = CancellableCtx.childOf(request.ctx(), Duration.ofMillis(30))) {
      RequestCtx marked = AttemptBound.mark(attempt.ctx(), request.ctx());
      assertThat(OutboundCall.prepare(config, Context.root().with(marked), "cache/Get").budget())
          .contains(Duration.ofMillis(30));
    }
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
  void callOutsideAnyRequestGetsNoDeadlineFromTheTierCapAndNoRequestId() {
    Map<String, String> written = new LinkedHashMap<>();
    OutboundCall call = OutboundCall.prepare(
        ClientConfig.builder(Tier.CACHE).openTelemetry(otel).spans(SpanMode.OFF).build(), Context.root(), "cache/Get");
    call.writeHeaders(writer(written));
    call.end(Outcome.OK);
    assertThat(call.verdict()).isInstanceOf(OutboundBudget.SendWithoutDeadline.class);
    assertThat(call.budget()).isEmpty();
    assertThat(written).doesNotContainKey("x-request-id").containsEntry("reqctx-hop", "1");
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void callOutsideAnyRequestGetsTheMethodBudgetOrTheCapWhenConfigured() {
    ClientConfig.Builder config = ClientConfig.builder(Tier.CACHE).openTelemetry(otel);
    OutboundCall withBudget = OutboundCall.prepare(
        config.methodCallees(m -> Callee.of(m, Tier.CACHE, Duration.ofMillis(300))).build(), Context.root(), "cache/Get");
    OutboundCall capped = OutboundCall.prepare(
        ClientConfig.builder(Tier.CACHE).openTelemetry(otel).tierCapOutsideRequests(true).build(), Context.root(), "cache/Get");
    OutboundCall inRequest;
    try (CancellableCtx detachedWork = CancellableCtx.newRoot(Tier.SERVICE).requestId("req-3").open()) {
      inRequest = OutboundCall.prepare(ClientConfig.builder(Tier.CACHE).openTelemetry(otel).build(),
          Context.root().with(detachedWork.ctx()), "cache/Get");
    }
    assertThat(withBudget.budget()).contains(Duration.ofMillis(300));
    assertThat(capped.budget()).contains(Duration.ofMillis(800));
    assertThat(inRequest.budget()).as("a request without a deadline still gets the tier cap").contains(Duration.ofMillis(800));
  }

  @Test
  void longLivedMethodGetsTheCallersRemainingTimeOrNoDeadlineButNeverTheTierCap() {
    ClientConfig config = ClientConfig.builder(Tier.CACHE).openTelemetry(otel)
        .longLivedMethod("cache/Watch").longLivedMethod("cache/Export", Duration.ofSeconds(30)).build();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).requestId("req-4").open()) {
      Context caller = Context.root().with(scope.ctx());
      assertThat(OutboundCall.prepare(config, caller, "cache/Watch").verdict())
          .isInstanceOf(OutboundBudget.SendWithoutDeadline.class);
      assertThat(OutboundCall.prepare(config, caller, "cache/Export").budget()).contains(Duration.ofSeconds(30));
      assertThat(OutboundCall.prepare(config, caller, "cache/Get").budget()).contains(Duration.ofMillis(800));
    }
    try (CancellableCtx scope = scope(Duration.ofSeconds(2))) {
      assertThat(OutboundCall.prepare(config, Context.root().with(scope.ctx()), "cache/Watch").budget())
          .as("the caller's remaining time less the reserve").contains(Duration.ofMillis(1955));
    }
  }

  @Test
  void aCallPreparedButNeverStartedLeavesNoSpanAndNoMetric() {
    try (CancellableCtx scope = scope(Duration.ofMillis(12))) {
      OutboundCall call = OutboundCall.prepare(ClientConfig.builder(Tier.CACHE).openTelemetry(otel).build(),
          Context.root().with(scope.ctx()), "cache/Get");
      assertThat(call.rejection()).isNotNull();
      call.end(Outcome.OK);
    }
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void hugeCapsAndBudgetsSaturateInsteadOfOverflowing() {
    Tier endless = Tier.define("outbound-endless", 5, Duration.ofSeconds(Long.MAX_VALUE));
    ClientConfig config = ClientConfig.builder(endless).openTelemetry(otel).tierCapOutsideRequests(true)
        .methodCallees(m -> m.endsWith("Budget") ? Callee.of(m, endless, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)) : null)
        .build();
    for (String method : new String[] {"svc/Cap", "svc/Budget"}) {
      OutboundCall call = OutboundCall.prepare(config, Context.root(), method);
      Map<String, String> written = new LinkedHashMap<>();
      call.writeHeaders(writer(written));
      call.end(Outcome.OK);
      assertThat(call.budget()).hasValueSatisfying(budget -> assertThat(budget).isEqualTo(Duration.ofDays(36_500)));
    }
    assertThat(spans.getFinishedSpanItems()).hasSize(2)
        .allSatisfy(span -> assertThat(span.getAttributes().asMap().toString())
            .contains("reqctx.budget.outbound_ms=" + Duration.ofDays(36_500).toMillis()));
  }

  @Test
  void aHopsOwnCallsStartAgainAtAttemptOneWhateverAttemptItWas() {
    Map<String, String> first = new LinkedHashMap<>();
    Map<String, String> retried = new LinkedHashMap<>();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2))
        .inboundAttempt(3).open()) {
      ClientConfig config = ClientConfig.builder(Tier.CACHE).openTelemetry(otel).spans(SpanMode.OFF).build();
      OutboundCall.prepare(config, Context.root().with(scope.ctx()), "cache/Get").writeHeaders(writer(first));
      OutboundCall.prepare(config, Context.root().with(scope.ctx().withOutgoingAttempt(2)), "cache/Get")
          .writeHeaders(writer(retried));
    }
    assertThat(first).containsEntry("reqctx-attempt", "1");
    assertThat(retried).containsEntry("reqctx-attempt", "2");
  }
}
