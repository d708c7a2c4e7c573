package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.BudgetPolicy;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** gateway (EDGE) -> service -> cache on real Netty servers, with a real OpenTelemetry SDK. */
@ExtendWith(StrictLeakExtension.class)
class ChainEndToEndTest {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  static final CtxKey<Long> PRIORITY = CtxKey.propagated("priority", KeyCodec.int64()).build();
  static final CtxKey<String> AUTH_SUBJECT =
      CtxKey.propagated("auth-subject", KeyCodec.string()).sensitive().build();

  static final MethodDescriptor<String, String> GATEWAY = TestRpc.unary("chain.Gateway/Call");
  static final MethodDescriptor<String, String> SERVICE = TestRpc.unary("chain.Service/Call");
  static final MethodDescriptor<String, String> CACHE = TestRpc.unary("chain.Cache/Get");

  /** What a handler saw, keyed by "<request tag>/<tier>". */
  record Seen(long remainingMillis, long grpcDeadlineMillis, String requestId, int hop, String traceId,
      String spanId, String tenant, Long priority, String authSubject) {}

  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk otel = TestRpc.openTelemetry(spans);
  static final Map<String, Seen> seen = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> cacheStarted = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> cacheCancelled = new ConcurrentHashMap<>();
  static final AtomicInteger cacheCalls = new AtomicInteger();
  static final List<Object> resources = new ArrayList<>();
  static ManagedChannel toGateway;
  static ManagedChannel toService;

  @BeforeAll
  static void startChain() {
    Server cache = TestRpc.start(TestRpc.service(CACHE, ChainEndToEndTest::cache), serverInterceptor(Tier.CACHE, Trust.TRUSTED));
    ManagedChannel cacheChannel = TestRpc.channelTo(cache);
    BudgetPolicy reserve300ms =
        BudgetPolicy.builder().reserveFloor(Duration.ofMillis(300)).minimumViableBudget(Duration.ofMillis(25)).build();
    Channel trustedCache = ClientInterceptors.intercept(cacheChannel, RequestCtxClientInterceptor.create(
        ClientConfig.builder(Tier.CACHE).trusted(true).policy(reserve300ms).openTelemetry(otel).build()));
    Channel untrustedCache = ClientInterceptors.intercept(cacheChannel, RequestCtxClientInterceptor.create(
        ClientConfig.builder(Tier.CACHE).trusted(false).policy(reserve300ms).openTelemetry(otel).build()));

    Server service = TestRpc.start(TestRpc.service(SERVICE, request -> {
      record("service", request);
      Channel target = request.startsWith("untrusted") ? untrustedCache : trustedCache;
      long started = System.nanoTime();
      try {
        return ClientCalls.blockingUnaryCall(target, CACHE, CallOptions.DEFAULT, request);
      } catch (StatusRuntimeException e) {
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        return "cache-error|" + e.getStatus().getCode() + "|" + elapsedMs + "|" + e.getStatus().getDescription();
      }
    }), serverInterceptor(Tier.SERVICE, Trust.TRUSTED));
    ManagedChannel serviceChannel = TestRpc.channelTo(service);
    Channel trustedService = ClientInterceptors.intercept(serviceChannel, RequestCtxClientInterceptor.create(
        ClientConfig.builder(Tier.SERVICE).trusted(true).openTelemetry(otel).build()));

    Server gateway = TestRpc.start(TestRpc.service(GATEWAY, request -> {
      record("gateway", request);
      RequestCtx withAuth = RequestCtx.current().with(AUTH_SUBJECT, "user-42").with(PRIORITY, 7L);
      try (Scope ignored = withAuth.makeCurrent()) {
        return ClientCalls.blockingUnaryCall(trustedService, SERVICE, CallOptions.DEFAULT, request);
      }
    }), serverInterceptor(Tier.GATEWAY, Trust.EDGE));
    toGateway = TestRpc.channelTo(gateway);
    toService = TestRpc.channelTo(service);
    resources.addAll(List.of(toGateway, toService, serviceChannel, cacheChannel, gateway, service, cache));
    // Connections and classes ready before any test measures anything.
    ClientCalls.blockingUnaryCall(toGateway, GATEWAY, CallOptions.DEFAULT, "plain:warm-up");
    ClientCalls.blockingUnaryCall(toService, SERVICE, CallOptions.DEFAULT, "plain:warm-up-service");
  }

  @AfterAll
  static void stopChain() throws InterruptedException {
    TestRpc.shutdown(resources);
  }

  static io.grpc.ServerInterceptor serverInterceptor(Tier tier, Trust trust) {
    return RequestCtxServerInterceptor.create(
        ServerConfig.builder(tier, trust).acceptedKeys(TENANT, PRIORITY, AUTH_SUBJECT).openTelemetry(otel).build());
  }

  static void record(String tier, String request) {
    RequestCtx ctx = RequestCtx.current();
    io.grpc.Deadline grpcDeadline = io.grpc.Context.current().getDeadline();
    Span span = Span.current();
    seen.put(tag(request) + "/" + tier, new Seen(
        ctx.remainingBudget().orElseThrow().toMillis(),
        grpcDeadline == null ? -1 : grpcDeadline.timeRemaining(TimeUnit.MILLISECONDS),
        ctx.requestId(), ctx.hopCount(), span.getSpanContext().getTraceId(), span.getSpanContext().getSpanId(),
        ctx.get(TENANT), ctx.get(PRIORITY), ctx.get(AUTH_SUBJECT)));
  }

  static String tag(String request) {
    int colon = request.indexOf(':');
    return colon < 0 ? request : request.substring(colon + 1);
  }

  static String cache(String request) throws InterruptedException {
    cacheCalls.incrementAndGet();
    record("cache", request);
    RequestCtx ctx = RequestCtx.current();
    CountDownLatch cancelled = cacheCancelled.computeIfAbsent(tag(request), t -> new CountDownLatch(1));
    ctx.onCancel(cause -> cancelled.countDown());
    if (request.startsWith("slow") || request.startsWith("hang")) {
      cacheStarted.computeIfAbsent(tag(request), t -> new CountDownLatch(1)).countDown();
      // Simulates a cache slower than its cap: it works until reqctx cancels it (bounded for safety).
      cancelled.await(10, TimeUnit.SECONDS);
      return "too late";
    }
    return "hit";
  }

  static String callGateway(String request, Metadata extraHeaders) {
    Channel channel = ClientInterceptors.intercept(toGateway, MetadataUtils.newAttachHeadersInterceptor(extraHeaders));
    return ClientCalls.blockingUnaryCall(channel, GATEWAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
  }

  static Metadata tenantHeader(String tenant) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("reqctx-key-tenant", Metadata.ASCII_STRING_MARSHALLER), tenant);
    return headers;
  }

  @Test
  void deadlineShrinksAtEveryHopAndStaysUnderEachCap() {
    assertThat(callGateway("plain:shrink", new Metadata())).isEqualTo("hit");

    Seen gateway = seen.get("shrink/gateway");
    Seen service = seen.get("shrink/service");
    Seen cache = seen.get("shrink/cache");
    // Upper bounds and order only: how much below them a hop lands depends on scheduling.
    assertThat(gateway.remainingMillis()).isPositive().isLessThanOrEqualTo(5_000);
    assertThat(service.remainingMillis()).isLessThan(gateway.remainingMillis()).isLessThanOrEqualTo(3_000);
    assertThat(cache.remainingMillis()).isLessThan(service.remainingMillis()).isLessThanOrEqualTo(800);
    for (Seen hop : List.of(gateway, service, cache)) {
      assertThat(hop.grpcDeadlineMillis()).as("the io.grpc.Context carries the scope's deadline")
          .isPositive().isLessThanOrEqualTo(hop.remainingMillis() + 1);
    }
    assertThat(List.of(gateway.hop(), service.hop(), cache.hop())).containsExactly(0, 1, 2);
  }

  @Test
  void oneTraceAndOneRequestIdAcrossTheChainWithCorrectParents() {
    callGateway("plain:trace", new Metadata());
    String traceId = seen.get("trace/gateway").traceId();
    assertThat(seen.get("trace/service").traceId()).isEqualTo(traceId);
    assertThat(seen.get("trace/cache").traceId()).isEqualTo(traceId);
    assertThat(seen.get("trace/service").requestId()).isEqualTo(seen.get("trace/gateway").requestId());
    assertThat(seen.get("trace/cache").requestId()).isEqualTo(seen.get("trace/gateway").requestId());

    await().atMost(Duration.ofSeconds(5)).until(() -> spansOf(traceId).size() == 5);
    Map<String, SpanData> byName = spansOf(traceId).stream()
        .collect(Collectors.toMap(s -> s.getName() + "/" + s.getKind(), s -> s));
    SpanData gatewayServer = byName.get("chain.Gateway/Call/" + SpanKind.SERVER);
    SpanData serviceClient = byName.get("chain.Service/Call/" + SpanKind.CLIENT);
    SpanData serviceServer = byName.get("chain.Service/Call/" + SpanKind.SERVER);
    SpanData cacheClient = byName.get("chain.Cache/Get/" + SpanKind.CLIENT);
    SpanData cacheServer = byName.get("chain.Cache/Get/" + SpanKind.SERVER);
    assertThat(gatewayServer.getParentSpanContext().isValid()).isFalse();
    assertThat(serviceClient.getParentSpanId()).isEqualTo(gatewayServer.getSpanId());
    assertThat(serviceServer.getParentSpanId()).isEqualTo(serviceClient.getSpanId());
    assertThat(cacheClient.getParentSpanId()).isEqualTo(serviceServer.getSpanId());
    assertThat(cacheServer.getParentSpanId()).isEqualTo(cacheClient.getSpanId());
    assertThat(spansOf(traceId)).extracting(SpanData::getSpanId).doesNotHaveDuplicates();
    assertThat(seen.get("trace/cache").spanId()).isEqualTo(cacheServer.getSpanId());
    assertThat(cacheServer.getAttributes().asMap().toString())
        .contains("reqctx.tier=cache", "reqctx.hop=2", "reqctx.outcome=ok", "reqctx.budget.inbound_ms=");
    assertThat(cacheClient.getAttributes().asMap().toString()).contains("reqctx.budget.outbound_ms=");
  }

  @Test
  void typedKeysArriveWithTheirTypes() {
    callGateway("plain:keys", tenantHeader("acme"));
    Seen cache = seen.get("keys/cache");
    assertThat(cache.tenant()).isEqualTo("acme");
    assertThat(cache.priority()).isInstanceOf(Long.class).isEqualTo(7L);
    assertThat(cache.authSubject()).isEqualTo("user-42");
  }

  @Test
  void edgeIgnoresSensitiveKeysAndHopFromTheClient() {
    Metadata hostile = tenantHeader("acme");
    hostile.put(Metadata.Key.of("reqctx-key-auth-subject", Metadata.ASCII_STRING_MARSHALLER), "admin");
    hostile.put(Metadata.Key.of("reqctx-hop", Metadata.ASCII_STRING_MARSHALLER), "30");
    callGateway("plain:edge", hostile);
    assertThat(seen.get("edge/gateway").authSubject()).isNull();
    assertThat(seen.get("edge/gateway").tenant()).isEqualTo("acme");
    assertThat(seen.get("edge/gateway").hop()).isZero();
  }

  @Test
  void sensitiveKeyDoesNotCrossAnUntrustedChannel() {
    callGateway("untrusted:sensitive", tenantHeader("acme"));
    assertThat(seen.get("sensitive/service").authSubject()).isEqualTo("user-42");
    assertThat(seen.get("sensitive/cache").authSubject()).isNull();
    assertThat(seen.get("sensitive/cache").tenant()).isEqualTo("acme");
  }

  @Test
  void slowCacheFailsAtTheCacheBudgetNotAtTheServiceBudget() {
    String reply = callGateway("slow:slow", new Metadata());
    String[] parts = reply.split("\\|", 4);
    assertThat(parts[0]).isEqualTo("cache-error");
    assertThat(parts[1]).isEqualTo(Status.Code.DEADLINE_EXCEEDED.name());
    // Cut by the cache's budget (800 ms less the reserve), never earlier; the service's own 3 s did not
    // end anything: the service is the one answering.
    assertThat(Long.parseLong(parts[2])).isGreaterThanOrEqualTo(600L);
    assertThat(cacheCancelled.get("slow").getCount()).isZero();
  }

  @Test
  void clientCancelAtTheTopCancelsTheCacheHandler() throws InterruptedException {
    var future = io.grpc.stub.ClientCalls.futureUnaryCall(
        toGateway.newCall(GATEWAY, CallOptions.DEFAULT), "hang:cancel");
    CountDownLatch started = cacheStarted.computeIfAbsent("cancel", t -> new CountDownLatch(1));
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    future.cancel(true);
    CountDownLatch cancelled = cacheCancelled.get("cancel");
    assertThat(cancelled.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(seen.get("cancel/cache").remainingMillis()).isLessThanOrEqualTo(800);
  }

  @Test
  void tightClientDeadlineMakesTheServiceFailFastWithoutCallingTheCache() {
    int callsBefore = cacheCalls.get();
    // The budget is for the call, not for connecting: on a loaded machine name resolution and the
    // connection alone can take much of it.
    await().atMost(Duration.ofSeconds(10)).until(() -> toService.getState(true) == ConnectivityState.READY);
    // The service keeps 300 ms in reserve: a caller's 300 ms leave nothing for the cache, however
    // fast the hop is, and the answer comes back at once.
    String reply = ClientCalls.blockingUnaryCall(
        toService, SERVICE, CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS), "plain:tight");
    String[] parts = reply.split("\\|", 4);
    assertThat(parts[1]).isEqualTo(Status.Code.DEADLINE_EXCEEDED.name());
    assertThat(Long.parseLong(parts[2])).isLessThan(300);
    assertThat(parts[3]).contains("not sent", "reserve 30", "minimum viable budget 25ms", "chain.Cache/Get");
    assertThat(cacheCalls.get()).isEqualTo(callsBefore);
  }

  static List<SpanData> spansOf(String traceId) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
  }

  @Test
  void failFastNeverTouchesTheNetwork() {
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(toService, SERVICE,
        CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.NANOSECONDS), "plain:expired"))
        .isInstanceOf(StatusRuntimeException.class)
        .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
        .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }
}
