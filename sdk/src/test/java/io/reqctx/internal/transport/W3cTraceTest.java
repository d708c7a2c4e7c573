package io.reqctx.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.Egress;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * The kernel's W3C trace and baggage: read through the codecs, kept with and without an OpenTelemetry
 * SDK, written on every call as the egress allows. The transports' conformance tests send the same
 * rules through real servers.
 */
@ExtendWith(StrictLeakExtension.class)
class W3cTraceTest {
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PARENT_ID = "00f067aa0ba902b7";
  static final String LEVEL2_STATE = "foo@bar@baz=1,rojo=00f067aa0ba902b7";
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  static final CtxKey<String> SECRET = CtxKey.propagated("secret", KeyCodec.string()).sensitive().build();

  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final OpenTelemetrySdk sdk = sdk(Sampler.parentBased(Sampler.alwaysOn()));

  OpenTelemetrySdk sdk(Sampler sampler) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().setSampler(sampler)
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
  }

  static HeaderReader headers(Map<String, List<String>> values) {
    return name -> values.getOrDefault(name, List.of());
  }

  static HeaderReader traced(String flags, String... tracestate) {
    return headers(Map.of(
        "traceparent", List.of("00-" + TRACE_ID + "-" + PARENT_ID + "-" + flags),
        "tracestate", List.of(tracestate),
        "x-request-id", List.of("req-1")));
  }

  static ServerConfig server(OpenTelemetry otel) {
    return ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(otel).build();
  }

  static ClientConfig client(OpenTelemetry otel) {
    return ClientConfig.builder(Tier.CACHE).openTelemetry(otel).build();
  }

  /** What one call made in {@code context} writes. */
  static Map<String, String> call(ClientConfig config, Context context) {
    Map<String, String> written = new LinkedHashMap<>();
    OutboundCall call = OutboundCall.prepare(config, context, "cache/Get");
    call.writeHeaders(OutboundCallTest.writer(written));
    call.writeBudgetHeader(OutboundCallTest.writer(written));
    call.end(io.reqctx.Outcome.OK);
    return written;
  }

  /** The MDC's trace_id and span_id while {@code context} is attached. */
  static List<@Nullable String> mdc(Context context) {
    try (Scope ignored = RequestCtx.attach(context)) {
      return java.util.Arrays.asList(MDC.get("trace_id"), MDC.get("span_id"));
    }
  }

  static String[] traceparent(Map<String, String> written) {
    return written.get("traceparent").split("-");
  }

  @Test
  void withoutAnSdkTheInboundTraceIsKeptAndEveryCallGetsAFreshParentId() {
    for (OpenTelemetry otel : List.of(OpenTelemetry.noop(),
        OpenTelemetry.propagating(ContextPropagators.create(W3CTraceContextPropagator.getInstance())))) {
      Set<String> parentIds = new HashSet<>(Set.of(PARENT_ID));
      try (InboundCall inbound = InboundCall.open(server(otel), traced("03", LEVEL2_STATE), "svc/M", null)) {
        assertThat(inbound.ctx().spanContext().getTraceId()).isEqualTo(TRACE_ID);
        assertThat(inbound.ctx().spanContext().getSpanId()).isEqualTo(PARENT_ID);
        assertThat(mdc(inbound.context())).as("logs carry the wire ids").containsExactly(TRACE_ID, PARENT_ID);
        for (int i = 0; i < 3; i++) {
          Map<String, String> written = call(client(otel), inbound.context());
          String[] sent = traceparent(written);
          assertThat(sent[0]).isEqualTo("00");
          assertThat(sent[1]).isEqualTo(TRACE_ID);
          assertThat(sent[3]).as("sampled and random kept").isEqualTo("03");
          assertThat(parentIds.add(sent[2])).as("parent-id %s is fresh", sent[2]).isTrue();
          assertThat(written).containsEntry("tracestate", LEVEL2_STATE);
        }
      }
    }
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void withoutAnSdkAndWithoutAnInboundTraceReqctxStartsOne() {
    try (InboundCall inbound = InboundCall.open(server(OpenTelemetry.noop()), headers(Map.of()), "svc/M", null)) {
      String traceId = inbound.ctx().spanContext().getTraceId();
      String spanId = inbound.ctx().spanContext().getSpanId();
      assertThat(inbound.ctx().spanContext().isValid()).isTrue();
      assertThat(mdc(inbound.context())).containsExactly(traceId, spanId);
      Map<String, String> first = call(client(OpenTelemetry.noop()), inbound.context());
      Map<String, String> second = call(client(OpenTelemetry.noop()), inbound.context());
      assertThat(first.get("traceparent")).as("random, not sampled").matches("00-" + traceId + "-[0-9a-f]{16}-02");
      assertThat(second.get("traceparent")).startsWith("00-" + traceId + "-").endsWith("-02");
      assertThat(List.of(traceparent(first)[2], traceparent(second)[2])).doesNotHaveDuplicates().doesNotContain(spanId);
      assertThat(first).doesNotContainKeys("tracestate", "baggage");
    }
  }

  @Test
  void withAnSdkTheSpansSupplyTheIdsAndTheRandomFlagAndLevel2ListAreKept() {
    Map<String, String> written;
    List<@Nullable String> logged;
    try (InboundCall inbound = InboundCall.open(server(sdk), traced("03", LEVEL2_STATE), "svc/M", null)) {
      logged = mdc(inbound.context());
      written = call(client(sdk), inbound.context());
    }
    SpanData server = span(SpanKind.SERVER);
    SpanData client = span(SpanKind.CLIENT);
    assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(server.getParentSpanId()).isEqualTo(PARENT_ID);
    assertThat(logged).containsExactly(TRACE_ID, server.getSpanId());
    assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(written.get("traceparent")).isEqualTo("00-" + TRACE_ID + "-" + client.getSpanId() + "-03");
    assertThat(written).containsEntry("tracestate", LEVEL2_STATE);
  }

  @Test
  void withAnSdkANewTraceCarriesTheSpansFlags() {
    Map<String, String> written;
    try (InboundCall inbound = InboundCall.open(server(sdk), headers(Map.of()), "svc/M", null)) {
      written = call(client(sdk), inbound.context());
    }
    SpanData client = span(SpanKind.CLIENT);
    assertThat(written.get("traceparent"))
        .isEqualTo("00-" + client.getTraceId() + "-" + client.getSpanId() + "-" + client.getSpanContext().getTraceFlags().asHex());
    assertThat(client.getTraceId()).isNotEqualTo(TRACE_ID);
  }

  @Test
  void whatASamplerChangesInTheListIsSentOnTopOfReqctxsList() {
    Sampler updating = new Sampler() {
      @Override
      public SamplingResult shouldSample(Context parent, String traceId, String name, SpanKind kind,
          Attributes attributes, List<LinkData> links) {
        return new SamplingResult() {
          @Override
          public SamplingDecision getDecision() {
            return SamplingDecision.RECORD_AND_SAMPLE;
          }

          @Override
          public Attributes getAttributes() {
            return Attributes.empty();
          }

          @Override
          public TraceState getUpdatedTraceState(TraceState parentState) {
            return parentState.toBuilder().put("ot", "th:8").remove("rojo").build();
          }
        };
      }

      @Override
      public String getDescription() {
        return "updates tracestate";
      }
    };
    OpenTelemetrySdk updatingSdk = sdk(updating);
    Map<String, String> written;
    try (InboundCall inbound = InboundCall.open(server(updatingSdk), traced("01", LEVEL2_STATE + ",congo=t61"), "svc/M", null)) {
      written = call(client(updatingSdk), inbound.context());
    }
    assertThat(written).containsEntry("tracestate", "ot=th:8,foo@bar@baz=1,congo=t61");
  }

  @Test
  void mergingAppliesRemovalsAndChangesInOrderAndKeepsWhatOpenTelemetryCannotHold() {
    io.reqctx.internal.wire.TraceState ours = io.reqctx.internal.wire.TraceState.parse("a@b@c=1,x=1,y=2,z=3");
    TraceState before = HopTrace.toOtel(ours);
    assertThat(before.asMap()).as("OpenTelemetry drops the Level 2 key").doesNotContainKey("a@b@c").hasSize(3);
    assertThat(HopTrace.merged(ours, before, before)).isSameAs(ours);

    TraceState after = before.toBuilder().remove("y").put("z", "9").put("n", "new").build();
    assertThat(HopTrace.merged(ours, before, after).encode()).isEqualTo("n=new,z=9,a@b@c=1,x=1");
    assertThat(HopTrace.fromOtel(after).encode()).isEqualTo("n=new,x=1,z=9");
  }

  @Test
  void continueInboundTraceFalseStartsANewTraceAndDropsTheList() {
    ServerConfig edge = ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).continueInboundTrace(false)
        .openTelemetry(OpenTelemetry.noop()).build();
    try (InboundCall inbound = InboundCall.open(edge, traced("01", "foo=1"), "svc/M", null)) {
      assertThat(inbound.ctx().spanContext().getTraceId()).isNotEqualTo(TRACE_ID);
      Map<String, String> written = call(client(OpenTelemetry.noop()), inbound.context());
      assertThat(written.get("traceparent")).doesNotContain(TRACE_ID).endsWith("-02");
      assertThat(written).doesNotContainKey("tracestate");
    }
  }

  @Test
  void baggageIsTheApplicationsCurrentBaggageAndIsForwardedAsReceived() {
    HeaderReader withBaggage = headers(Map.of("baggage", List.of("k=1;p, j=Am%C3%A9lie", "k=2")));
    try (InboundCall inbound = InboundCall.open(server(OpenTelemetry.noop()), withBaggage, "svc/M", null)) {
      Baggage current = Baggage.fromContext(inbound.context());
      assertThat(current.getEntryValue("k")).as("the first entry of a key").isEqualTo("1");
      assertThat(current.getEntryValue("j")).isEqualTo("Amélie");
      assertThat(current.asMap().get("k").getMetadata().getValue()).isEqualTo("p");
      assertThat(call(client(OpenTelemetry.noop()), inbound.context()))
          .containsEntry("baggage", "k=1;p,j=Am%C3%A9lie,k=2");

      Context changed = inbound.context().with(current.toBuilder().put("added", "a b").remove("j").build());
      assertThat(call(client(OpenTelemetry.noop()), changed).get("baggage"))
          .as("the application's baggage, unchanged entries as received").isEqualTo("added=a%20b,k=1;p");
    }
  }

  @Test
  void anEdgeIgnoresInboundBaggageUnlessItAcceptsIt() {
    HeaderReader withBaggage = headers(Map.of("baggage", List.of("userId=alice")));
    ServerConfig.Builder edge = ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).openTelemetry(OpenTelemetry.noop());
    assertThat(edge.build().acceptBaggage()).isFalse();
    assertThat(server(OpenTelemetry.noop()).acceptBaggage()).isTrue();
    try (InboundCall inbound = InboundCall.open(edge.build(), withBaggage, "svc/M", null)) {
      assertThat(Baggage.fromContext(inbound.context()).isEmpty()).isTrue();
      assertThat(call(client(OpenTelemetry.noop()), inbound.context())).doesNotContainKey("baggage");
    }
    try (InboundCall inbound = InboundCall.open(edge.acceptBaggage(true).build(), withBaggage, "svc/M", null)) {
      assertThat(call(client(OpenTelemetry.noop()), inbound.context())).containsEntry("baggage", "userId=alice");
    }
  }

  @Test
  void enrichLeavesTheTraceHeadersToTheOwningInstrumentation() {
    ServerConfig enrich = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).spans(SpanMode.ENRICH).openTelemetry(sdk).build();
    try (InboundCall inbound = InboundCall.open(enrich, traced("01", "foo=1"), "svc/M", null)) {
      assertThat(inbound.ctx().spanContext().isValid()).as("nothing parsed").isFalse();
      Map<String, String> stale = new LinkedHashMap<>(Map.of("traceparent", "from-instrumentation"));
      OutboundCall call = OutboundCall.prepare(
          ClientConfig.builder(Tier.CACHE).spans(SpanMode.ENRICH).openTelemetry(sdk).build(), inbound.context(), "cache/Get");
      call.writeHeaders(OutboundCallTest.writer(stale));
      call.end(io.reqctx.Outcome.OK);
      assertThat(stale).containsEntry("traceparent", "from-instrumentation").doesNotContainKeys("tracestate", "baggage");
    }
  }

  @Test
  void offUsesTheApplicationsOwnSdkSpanWhenThereIsOne() {
    ClientConfig off = ClientConfig.builder(Tier.CACHE).spans(SpanMode.OFF).openTelemetry(OpenTelemetry.noop()).build();
    try (InboundCall inbound = InboundCall.open(server(OpenTelemetry.noop()), traced("03"), "svc/M", null)) {
      assertThat(traceparent(call(off, inbound.context()))[2]).as("no SDK span: fresh").isNotEqualTo(PARENT_ID);
      Span own = sdk.getTracer("app").spanBuilder("own").setParent(inbound.context()).startSpan();
      Map<String, String> written = call(off, inbound.context().with(own));
      own.end();
      assertThat(written.get("traceparent")).isEqualTo("00-" + TRACE_ID + "-" + own.getSpanContext().getSpanId() + "-03");
    }
  }

  @Test
  void aStaleListIsRemovedWhenTheCallSendsNone() {
    Map<String, String> written = new LinkedHashMap<>(Map.of("tracestate", "stale=1", "baggage", "stale=1"));
    try (InboundCall inbound = InboundCall.open(server(OpenTelemetry.noop()), traced("01"), "svc/M", null)) {
      OutboundCall call = OutboundCall.prepare(client(OpenTelemetry.noop()), inbound.context(), "cache/Get");
      call.writeHeaders(OutboundCallTest.writer(written));
      call.end(io.reqctx.Outcome.OK);
    }
    assertThat(written).containsKey("traceparent").doesNotContainKeys("tracestate", "baggage");
  }

  @Test
  void aCalleeOutsideTheFleetGetsOnlyTheW3cHeadersOrNone() {
    ServerConfig internal = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).acceptedKeys(TENANT, SECRET)
        .openTelemetry(OpenTelemetry.noop()).build();
    HeaderReader full = headers(Map.of(
        "traceparent", List.of("00-" + TRACE_ID + "-" + PARENT_ID + "-01"), "tracestate", List.of("foo=1"),
        "baggage", List.of("k=1"), "x-request-id", List.of("req-1"), "reqctx-hop", List.of("2"),
        "reqctx-key-tenant", List.of("acme"), "reqctx-key-secret", List.of("s3cr3t")));
    try (InboundCall inbound = InboundCall.open(internal, full, "svc/M", Duration.ofSeconds(2))) {
      Map<String, String> w3c = call(ClientConfig.builder(Tier.SERVICE).egress(Egress.EXTERNAL_W3C)
          .openTelemetry(OpenTelemetry.noop()).build(), inbound.context());
      assertThat(w3c.keySet()).containsExactlyInAnyOrder("traceparent", "tracestate", "baggage");
      assertThat(w3c.get("traceparent")).startsWith("00-" + TRACE_ID + "-");

      Map<String, String> none = new LinkedHashMap<>(Map.of("x-request-id", "copied", "traceparent", "copied"));
      OutboundCall call = OutboundCall.prepare(ClientConfig.builder(Tier.SERVICE).egress(Egress.EXTERNAL_NONE)
          .openTelemetry(OpenTelemetry.noop()).build(), inbound.context(), "partner/Get");
      assertThat(call.budget()).as("the deadline still bounds the call").isPresent();
      call.writeHeaders(OutboundCallTest.writer(none));
      call.writeBudgetHeader(OutboundCallTest.writer(none));
      call.end(io.reqctx.Outcome.OK);
      assertThat(none).isEmpty();

      Map<String, String> fleet = call(client(OpenTelemetry.noop()), inbound.context());
      assertThat(fleet).containsKeys("x-request-id", "reqctx-hop", "reqctx-budget-ms", "reqctx-key-tenant", "traceparent");
    }
  }

  @Test
  void trustingACalleeOutsideTheFleetIsRefusedNamingBothSwitches() {
    assertThatIllegalStateException()
        .isThrownBy(() -> ClientConfig.builder(Tier.SERVICE).trusted(true).egress(Egress.EXTERNAL_W3C).build())
        .withMessageContaining("trusted(true)").withMessageContaining("egress(EXTERNAL_W3C)");
    assertThatIllegalStateException()
        .isThrownBy(() -> ClientConfig.builder(Tier.SERVICE).egress(Egress.EXTERNAL_NONE).trusted(true).build())
        .withMessageContaining("egress(EXTERNAL_NONE)");
    assertThat(ClientConfig.builder(Tier.SERVICE).egress(Egress.EXTERNAL_W3C).build().egress())
        .isEqualTo(Egress.EXTERNAL_W3C);
    assertThat(ClientConfig.builder(Tier.SERVICE).build().egress()).isEqualTo(Egress.FLEET);
  }

  SpanData span(SpanKind kind) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).findFirst().orElseThrow();
  }
}
