package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * reqctx in {@link SpanMode#ENRICH} behind OpenTelemetry's own gRPC instrumentation (which also
 * replaces grpc's context storage with one backed by OpenTelemetry's): one span per side per hop,
 * reqctx's attributes on them, and budgets and deadlines intact.
 */
@ExtendWith(StrictLeakExtension.class)
class OtelInstrumentationEnrichTest {
  static final MethodDescriptor<String, String> SERVICE = TestRpc.unary("enrich.Service/Call");
  static final MethodDescriptor<String, String> CACHE = TestRpc.unary("enrich.Cache/Get");

  record Seen(String traceId, String spanId, long remainingMillis, long grpcDeadlineMillis, String tier) {}

  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk otel = TestRpc.openTelemetry(spans);
  static final GrpcTelemetry instrumentation = GrpcTelemetry.create(otel);
  static final Map<String, Seen> seen = new ConcurrentHashMap<>();
  static Server service;
  static Server cache;
  static ManagedChannel toService;
  static ManagedChannel toCache;

  static Seen observe(String where) {
    RequestCtx ctx = RequestCtx.current();
    io.grpc.Deadline grpcDeadline = io.grpc.Context.current().getDeadline();
    Seen s = new Seen(Span.current().getSpanContext().getTraceId(), Span.current().getSpanContext().getSpanId(),
        ctx.remainingBudget().orElseThrow().toMillis(),
        grpcDeadline == null ? -1 : grpcDeadline.timeRemaining(TimeUnit.MILLISECONDS), ctx.tier().name());
    seen.put(where, s);
    return s;
  }

  static Channel client(ManagedChannel channel, Tier callee) {
    ClientConfig config = ClientConfig.builder(callee).openTelemetry(otel).spans(SpanMode.ENRICH).build();
    // The last interceptor runs first: OpenTelemetry's, so its CLIENT span is current for reqctx's.
    return ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(config), instrumentation.createClientInterceptor());
  }

  static ServerConfig serverConfig(Tier tier) {
    return ServerConfig.builder(tier, Trust.TRUSTED).openTelemetry(otel).spans(SpanMode.ENRICH).build();
  }

  @BeforeAll
  static void start() {
    cache = TestRpc.start(TestRpc.service(CACHE, request -> {
      observe("cache");
      return "hit";
    }), RequestCtxServerInterceptor.create(serverConfig(Tier.CACHE)), instrumentation.createServerInterceptor());
    toCache = TestRpc.channelTo(cache);
    Channel cacheChannel = client(toCache, Tier.CACHE);
    service = TestRpc.start(TestRpc.service(SERVICE, request -> {
      observe("service");
      return ClientCalls.blockingUnaryCall(cacheChannel, CACHE, CallOptions.DEFAULT, request);
    }), RequestCtxServerInterceptor.create(serverConfig(Tier.SERVICE)), instrumentation.createServerInterceptor());
    toService = TestRpc.channelTo(service);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(toService, toCache, service, cache));
  }

  @Test
  void eachHopHasOneServerAndOneClientSpanCarryingReqctxAttributes() {
    Channel channel = client(toService, Tier.SERVICE);
    try (CancellableCtx gateway = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofSeconds(2)).open();
        Scope ignored = gateway.makeCurrent()) {
      assertThat(ClientCalls.blockingUnaryCall(channel, SERVICE, CallOptions.DEFAULT, "k")).isEqualTo("hit");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().size() >= 4);

    List<SpanData> finished = spans.getFinishedSpanItems();
    assertThat(finished).hasSize(4);
    assertThat(finished).extracting(SpanData::getTraceId).containsOnly(seen.get("cache").traceId());
    SpanData serviceServer = one(finished, SpanKind.SERVER, "enrich.Service/Call");
    SpanData cacheServer = one(finished, SpanKind.SERVER, "enrich.Cache/Get");
    SpanData toServiceClient = one(finished, SpanKind.CLIENT, "enrich.Service/Call");
    SpanData toCacheClient = one(finished, SpanKind.CLIENT, "enrich.Cache/Get");

    assertThat(serviceServer.getParentSpanId()).isEqualTo(toServiceClient.getSpanId());
    assertThat(toCacheClient.getParentSpanId()).isEqualTo(serviceServer.getSpanId());
    assertThat(cacheServer.getParentSpanId()).isEqualTo(toCacheClient.getSpanId());
    assertThat(seen.get("service").spanId()).isEqualTo(serviceServer.getSpanId());

    assertThat(attributes(serviceServer)).contains("reqctx.tier=service", "reqctx.budget.inbound_ms", "reqctx.outcome=ok");
    assertThat(attributes(cacheServer)).contains("reqctx.tier=cache", "reqctx.hop=2");
    assertThat(attributes(toCacheClient)).contains("reqctx.callee.tier=cache", "reqctx.budget.outbound_ms");

    Seen atService = seen.get("service");
    Seen atCache = seen.get("cache");
    assertThat(atService.remainingMillis()).isLessThan(2000).isPositive();
    assertThat(atCache.remainingMillis()).isLessThan(atService.remainingMillis()).isLessThanOrEqualTo(800);
    assertThat(atCache.grpcDeadlineMillis()).as("grpc deadline inside the cache handler")
        .isPositive().isLessThanOrEqualTo(800);
  }

  private static SpanData one(List<SpanData> spans, SpanKind kind, String name) {
    return spans.stream().filter(s -> s.getKind() == kind && s.getName().equals(name)).reduce((a, b) -> {
      throw new AssertionError("two " + kind + " spans named " + name + ": " + a + " and " + b);
    }).orElseThrow(() -> new AssertionError("no " + kind + " span named " + name + " in " + spans));
  }

  private static String attributes(SpanData span) {
    return span.getAttributes().asMap().toString().replace("\"", "");
  }
}
