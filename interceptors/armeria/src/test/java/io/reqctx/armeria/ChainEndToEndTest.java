package io.reqctx.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.RequestCtx;
import io.reqctx.grpc.TestRpc;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.Rejection;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

/**
 * HTTP gateway (EDGE) -> gRPC service hosted by Armeria's GrpcService -> HTTP cache, all on one real
 * Armeria server on 127.0.0.1 (every hop crosses a real socket), with a real OpenTelemetry SDK. The
 * hops' scopes run on {@link FakeTicker}s: a budget only runs out when a test moves a ticker, so no
 * outcome depends on how fast a loaded machine schedules the hops. The gateway has a ticker of its
 * own, so that a test ends the gateway's budget alone and its end travels down the chain, as when the
 * hops' real deadlines fire one after the other.
 */
@ExtendWith(StrictLeakExtension.class)
class ChainEndToEndTest {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  static final CtxKey<Long> PRIORITY = CtxKey.propagated("priority", KeyCodec.int64()).build();
  static final CtxKey<String> AUTH_SUBJECT = CtxKey.propagated("auth-subject", KeyCodec.string()).sensitive().build();
  static final MethodDescriptor<String, String> SERVICE = TestRpc.unary("chain.Service/Call");

  /** What a handler saw, keyed by "<tag>/<hop name>". */
  record Seen(long remainingMillis, long grpcDeadlineMillis, String requestId, int hop, String traceId,
      String tenant, Long priority, String authSubject, String mdcTraceId, String mdcRequestId) {}

  static final FakeTicker ticker = new FakeTicker();
  static final FakeTicker downstreamTicker = new FakeTicker();
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk otel = TestRpc.openTelemetry(spans);
  static final Map<String, Seen> seen = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> latches = new ConcurrentHashMap<>();
  /** The status the gateway answered /race with, by tag, even when the client had gone. */
  static final Map<String, Integer> answered = new ConcurrentHashMap<>();
  /** What the /race gateway's call failed with, by tag. */
  static final Map<String, RuntimeException> raceFailures = new ConcurrentHashMap<>();
  static volatile Channel toService;
  static volatile WebClient toCache;
  static ManagedChannel serviceChannel;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      sb.service("/gateway", gateway().decorate(RequestCtxService.newDecorator(serverConfig(Tier.GATEWAY, Trust.EDGE))));
      sb.service(RequestCtxGrpcService.configure(
              GrpcService.builder()
                  .addService(TestRpc.service(SERVICE, ChainEndToEndTest::service))
                  .useBlockingTaskExecutor(true),
              serverConfig(Tier.SERVICE, Trust.TRUSTED))
          .build());
      sb.service("/cache", cache().decorate(RequestCtxService.newDecorator(serverConfig(Tier.CACHE, Trust.TRUSTED))));
      sb.service("/threads", threads().decorate(RequestCtxService.newDecorator(serverConfig(Tier.SERVICE, Trust.TRUSTED))));
      sb.service("/race", race().decorate(RequestCtxService.newDecorator(serverConfig(Tier.GATEWAY, Trust.EDGE)))
          .decorate(delegate -> (ctx, req) -> HttpResponse.of(delegate.serve(ctx, req).aggregate().thenApply(whole -> {
            answered.put(ctx.queryParam("tag"), whole.status().code()); // recorded even when the client has gone
            return whole.toHttpResponse();
          }))));
    }
  };

  static ServerConfig serverConfig(Tier tier, Trust trust) {
    return ServerConfig.builder(tier, trust).acceptedKeys(TENANT, PRIORITY, AUTH_SUBJECT).openTelemetry(otel)
        .ticker(tier == Tier.GATEWAY ? ticker : downstreamTicker).build();
  }

  @BeforeAll
  static void connect() {
    serviceChannel = ManagedChannelBuilder.forAddress("127.0.0.1", server.httpPort()).usePlaintext().build();
    toService = ClientInterceptors.intercept(serviceChannel, io.reqctx.grpc.RequestCtxClientInterceptor.create(
        ClientConfig.builder(Tier.SERVICE).trusted(true).openTelemetry(otel).build()));
    toCache = WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(Tier.CACHE).trusted(true).openTelemetry(otel).build()))
        .build();
    // Connections and classes ready before any test runs. Only the scopes' budgets are on fake tickers:
    // the transports' own timers (the gRPC call's deadline, WebClient's response timeout) are real, and
    // a cold first call on a loaded machine may outlast them, so the warm-up's answer is not checked.
    callGateway("warm-up");
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    serviceChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** The gateway: blocks on the gRPC call in a blockingTaskExecutor task, where the ctx must be current. */
  static HttpService gateway() {
    return (ctx, req) -> HttpResponse.of(CompletableFuture.supplyAsync(() -> {
      String tag = ctx.queryParam("tag");
      record(tag + "/gateway");
      RequestCtx withAuth = RequestCtx.current().with(AUTH_SUBJECT, "user-42").with(PRIORITY, 7L);
      try (Scope ignored = withAuth.makeCurrent()) {
        return HttpResponse.of(ClientCalls.blockingUnaryCall(toService, SERVICE, CallOptions.DEFAULT, tag));
      }
    }, ctx.blockingTaskExecutor()));
  }

  /**
   * A gateway whose gRPC call is created while its request is live and started only after the request
   * was cancelled: the race of a cancel with the stub's start.
   */
  static HttpService race() {
    return (ctx, req) -> HttpResponse.of(CompletableFuture.supplyAsync(() -> {
      String tag = ctx.queryParam("tag");
      io.grpc.ClientCall<String, String> call = toService.newCall(SERVICE, CallOptions.DEFAULT);
      latch(tag + "/call-created").countDown();
      awaitCancellation(RequestCtx.current());
      try {
        return HttpResponse.of(ClientCalls.blockingUnaryCall(call, tag));
      } catch (RuntimeException e) {
        raceFailures.put(tag, e);
        throw e;
      }
    }, ctx.blockingTaskExecutor()));
  }

  /** The gRPC service (run on the blocking executor by GrpcService): calls the cache over HTTP. */
  static String service(String tag) {
    record(tag + "/service");
    RequestCtx.current().onCancel(cause -> latch(tag + "/service-cancelled").countDown());
    io.grpc.Context.current().addListener(
        context -> latch(tag + "/service-grpc-context-cancelled").countDown(), Runnable::run);
    if (tag.startsWith("hang")) {
      // A slow hop: whatever the cache does, answer only once this hop's own ctx is cancelled, so the
      // caller's deadline (or disconnect) decides the outcome, not the order of near-simultaneous timers.
      toCache.get("/cache?tag=" + tag).aggregate().handle((response, failure) -> null).join();
      awaitCancellation(RequestCtx.current());
      throw io.grpc.Status.DEADLINE_EXCEEDED.withDescription("service: budget ran out").asRuntimeException();
    }
    AggregatedHttpResponse cached = toCache.get("/cache?tag=" + tag).aggregate().join();
    return cached.status().code() + ":" + cached.contentUtf8();
  }

  static void awaitCancellation(RequestCtx ctx) {
    CountDownLatch cancelled = new CountDownLatch(1);
    ctx.onCancel(cause -> cancelled.countDown());
    try {
      cancelled.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The cache: answers at once, or (tags starting with "hang") only once its ctx is cancelled. */
  static HttpService cache() {
    return (ctx, req) -> {
      String tag = ctx.queryParam("tag");
      record(tag + "/cache");
      if (!tag.startsWith("hang")) {
        return HttpResponse.of("hit");
      }
      CompletableFuture<HttpResponse> whenCancelled = new CompletableFuture<>();
      RequestCtx.current().onCancel(cause -> {
        latch(tag + "/cache-cancelled").countDown();
        whenCancelled.complete(HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE));
      });
      latch(tag + "/cache-started").countDown();
      return HttpResponse.of(whenCancelled);
    };
  }

  /** Reports the ctx and MDC in the service, in an event loop callback and in a blocking task. */
  static HttpService threads() {
    return (ctx, req) -> {
      String direct = describe();
      CompletableFuture<String> onEventLoop = new CompletableFuture<>();
      ctx.eventLoop().schedule(() -> onEventLoop.complete(describe()), 5, TimeUnit.MILLISECONDS);
      CompletableFuture<String> inBlockingTask = CompletableFuture.supplyAsync(ChainEndToEndTest::describe, ctx.blockingTaskExecutor());
      return HttpResponse.of(onEventLoop.thenCombine(inBlockingTask, (a, b) -> HttpResponse.of(direct + "\n" + a + "\n" + b)));
    };
  }

  static String describe() {
    RequestCtx ctx = RequestCtx.current();
    return ctx.requestId() + " " + ctx.remainingBudget().isPresent() + " " + MDC.get("request_id") + " "
        + MDC.get("trace_id") + " " + MDC.get("span_id") + " " + Thread.currentThread().getName();
  }

  static CountDownLatch latch(String name) {
    return latches.computeIfAbsent(name, n -> new CountDownLatch(1));
  }

  static void record(String key) {
    RequestCtx ctx = RequestCtx.current();
    io.grpc.Deadline grpcDeadline = io.grpc.Context.current().getDeadline();
    seen.put(key, new Seen(
        ctx.remainingBudget().orElseThrow().toMillis(),
        grpcDeadline == null ? -1 : grpcDeadline.timeRemaining(TimeUnit.MILLISECONDS),
        ctx.requestId(), ctx.hopCount(), Span.current().getSpanContext().getTraceId(),
        ctx.get(TENANT), ctx.get(PRIORITY), ctx.get(AUTH_SUBJECT), MDC.get("trace_id"), MDC.get("request_id")));
  }

  static AggregatedHttpResponse callGateway(String tag, String... headers) {
    RequestHeaders request = RequestHeaders.builder(HttpMethod.GET, "/gateway?tag=" + tag).add(pairs(headers)).build();
    return TestSupport.outsideClient(server.httpPort()).execute(request).aggregate().join();
  }

  static List<Map.Entry<String, String>> pairs(String... headers) {
    List<Map.Entry<String, String>> list = new java.util.ArrayList<>();
    for (int i = 0; i < headers.length; i += 2) {
      list.add(Map.entry(headers[i], headers[i + 1]));
    }
    return list;
  }

  static List<SpanData> spansOf(String traceId) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
  }

  @Test
  void deadlineShrinksAtEveryHopWithinEachCap() {
    AggregatedHttpResponse response = callGateway("shrink");

    assertThat(response.status()).isEqualTo(HttpStatus.OK);
    assertThat(response.contentUtf8()).isEqualTo("200:hit");
    Seen gateway = seen.get("shrink/gateway");
    Seen service = seen.get("shrink/service");
    Seen cache = seen.get("shrink/cache");
    assertThat(gateway.remainingMillis()).isLessThanOrEqualTo(5_000).isGreaterThan(4_000);
    assertThat(service.remainingMillis()).isLessThan(gateway.remainingMillis()).isLessThanOrEqualTo(3_000);
    assertThat(cache.remainingMillis()).isLessThan(service.remainingMillis()).isLessThanOrEqualTo(800);
    assertThat(List.of(gateway.hop(), service.hop(), cache.hop())).containsExactly(0, 1, 2);
  }

  @Test
  void grpcServiceHostedByArmeriaSeesTheDeadlineInGrpcContext() {
    callGateway("grpc-deadline");

    Seen service = seen.get("grpc-deadline/service");
    assertThat(service.grpcDeadlineMillis()).as("set from the scope's budget; real time has passed since")
        .isPositive().isLessThanOrEqualTo(service.remainingMillis());
  }

  @Test
  void oneTraceAndOneRequestIdAcrossTheChainWithMdc() {
    AggregatedHttpResponse response = callGateway("trace");

    Seen gateway = seen.get("trace/gateway");
    String traceId = gateway.traceId();
    for (String hop : List.of("gateway", "service", "cache")) {
      Seen s = seen.get("trace/" + hop);
      assertThat(s.traceId()).as(hop).isEqualTo(traceId);
      assertThat(s.requestId()).as(hop).isEqualTo(gateway.requestId());
      assertThat(s.mdcTraceId()).as(hop).isEqualTo(traceId);
      assertThat(s.mdcRequestId()).as(hop).isEqualTo(gateway.requestId());
    }
    assertThat(response.headers().get("x-request-id")).isEqualTo(gateway.requestId());
    await().atMost(Duration.ofSeconds(5)).until(() -> spansOf(traceId).size() == 5);
    Map<String, SpanData> byName = spansOf(traceId).stream()
        .collect(Collectors.toMap(s -> s.getName() + "/" + s.getKind(), s -> s));
    SpanData gatewayServer = byName.get("GET /gateway/" + SpanKind.SERVER);
    SpanData serviceClient = byName.get("chain.Service/Call/" + SpanKind.CLIENT);
    SpanData serviceServer = byName.get("chain.Service/Call/" + SpanKind.SERVER);
    SpanData cacheClient = byName.get("GET /cache/" + SpanKind.CLIENT);
    SpanData cacheServer = byName.get("GET /cache/" + SpanKind.SERVER);
    assertThat(serviceClient.getParentSpanId()).isEqualTo(gatewayServer.getSpanId());
    assertThat(serviceServer.getParentSpanId()).isEqualTo(serviceClient.getSpanId());
    assertThat(cacheClient.getParentSpanId()).isEqualTo(serviceServer.getSpanId());
    assertThat(cacheServer.getParentSpanId()).isEqualTo(cacheClient.getSpanId());
  }

  @Test
  void typedKeysArriveTypedAndSensitiveOnesOnlyFromInside() {
    callGateway("keys", "reqctx-key-tenant", "acme", "reqctx-key-auth-subject", "forged-admin");

    Seen gateway = seen.get("keys/gateway");
    assertThat(gateway.tenant()).isEqualTo("acme");
    assertThat(gateway.authSubject()).as("sensitive keys from outside are ignored at the edge").isNull();
    for (String hop : List.of("service", "cache")) {
      Seen s = seen.get("keys/" + hop);
      assertThat(s.tenant()).as(hop).isEqualTo("acme");
      assertThat(s.priority()).as(hop).isEqualTo(7L);
      assertThat(s.authSubject()).as(hop).isEqualTo("user-42");
    }
  }

  @Test
  void ctxAndMdcHoldInTheServiceOnItsEventLoopAndInBlockingTasks() {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    RequestHeaders request = RequestHeaders.builder(HttpMethod.GET, "/threads")
        .add("x-request-id", "threads-1")
        .add("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
        .build();

    AggregatedHttpResponse response = TestSupport.outsideClient(server.httpPort()).execute(request).aggregate().join();

    List<String> lines = response.contentUtf8().lines().toList();
    assertThat(lines).hasSize(3);
    for (String line : lines) {
      String[] parts = line.split(" ");
      assertThat(parts[0]).as(line).isEqualTo("threads-1");
      assertThat(parts[1]).as(line).isEqualTo("true");
      assertThat(parts[2]).as(line).isEqualTo("threads-1");
      assertThat(parts[3]).as(line).isEqualTo(traceId);
      assertThat(parts[4]).as(line).hasSize(16);
    }
    assertThat(lines.get(2)).contains("blocking");
  }

  @Test
  void clientLeavingTheGatewayCancelsTheGrpcAndHttpHandlersDownstream() throws InterruptedException {
    HttpResponse response = TestSupport.outsideClient(server.httpPort()).get("/gateway?tag=hang-disconnect");
    CompletableFuture<AggregatedHttpResponse> done = response.aggregate();
    assertThat(latch("hang-disconnect/cache-started").await(10, TimeUnit.SECONDS)).isTrue();

    response.abort();

    assertThat(latch("hang-disconnect/service-cancelled").await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(latch("hang-disconnect/service-grpc-context-cancelled").await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(latch("hang-disconnect/cache-cancelled").await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(done).isCompletedExceptionally();
  }

  @Test
  void deadlinePassingWhileTheGatewayWaitsAnswers504AtTheDeadline() throws InterruptedException {
    CompletableFuture<AggregatedHttpResponse> response = TestSupport.outsideClient(server.httpPort())
        .execute(RequestHeaders.builder(HttpMethod.GET, "/gateway?tag=hang-deadline").add("reqctx-budget-ms", "600").build())
        .aggregate();
    assertThat(latch("hang-deadline/cache-started").await(10, TimeUnit.SECONDS)).isTrue();

    // The gateway's gRPC call carries a real-time deadline (grpc-java's clock), so it may end first; the
    // scopes' deadlines pass here. Either way the answer is the same 504.
    ticker.advance(Duration.ofMillis(600));

    assertThat(response).succeedsWithin(Duration.ofSeconds(10)).satisfies(r -> {
      assertThat(r.status()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
      assertThat(r.contentUtf8()).contains("budget of 600ms").doesNotContain("\n\n");
    });
    assertThat(latch("hang-deadline/service-cancelled").await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(latch("hang-deadline/cache-cancelled").await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void budgetBelowTheMinimumFailsFastAtTheGatewayAs504WithoutCallingDownstream() {
    AggregatedHttpResponse response = callGateway("hang-too-little", "reqctx-budget-ms", "12");

    assertThat(response.status()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
    assertThat(seen).doesNotContainKey("hang-too-little/service");
  }

  @Test
  void zeroBudgetIsRefusedWithoutRunningTheService() {
    AggregatedHttpResponse response = callGateway("zero", "reqctx-budget-ms", "0");

    assertThat(response.status()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
    assertThat(response.contentUtf8()).contains("no budget left");
    assertThat(seen).doesNotContainKey("zero/gateway");
  }

  @Test
  void webClientFailsFastWithRejectedCallExceptionWhenTheBudgetIsSpent() {
    FakeTicker ticker = new FakeTicker();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofMillis(8)).open();
        Scope ignored = scope.makeCurrent()) {
      CompletableFuture<AggregatedHttpResponse> call = toCache.get("/cache?tag=never").aggregate();

      assertThat(call).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
          .havingRootCause()
          .isInstanceOf(RejectedCallException.class)
          .withMessageContaining("minimum viable budget")
          .matches(e -> ((RejectedCallException) e).rejection().reason() == Rejection.Reason.BUDGET_EXHAUSTED);
    }
    assertThat(seen).doesNotContainKey("never/cache");
  }

  @Test
  void cancellingTheCallersCtxCancelsTheOutgoingHttpRequest() throws InterruptedException {
    CompletableFuture<AggregatedHttpResponse> call;
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(2)).open()) {
      try (Scope ignored = scope.makeCurrent()) {
        call = toCache.get("/cache?tag=hang-caller-cancel").aggregate();
      }
      assertThat(latch("hang-caller-cancel/cache-started").await(5, TimeUnit.SECONDS)).isTrue();
      scope.cancel();
    }

    assertThat(latch("hang-caller-cancel/cache-cancelled").await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(call).failsWithin(Duration.ofSeconds(5));
  }

  @Test
  void callStartedAfterTheClientLeftEndsTheGatewayWith499Not500() throws InterruptedException {
    HttpResponse response = TestSupport.outsideClient(server.httpPort()).get("/race?tag=race-left");
    response.aggregate();
    assertThat(latch("race-left/call-created").await(10, TimeUnit.SECONDS)).isTrue();

    response.abort();

    await().atMost(Duration.ofSeconds(10))
        .until(() -> answered.containsKey("race-left") && raceFailures.containsKey("race-left"));
    assertThat(answered.get("race-left")).as("the client left: 499").isEqualTo(499);
    assertThat(raceFailures.get("race-left")).isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.CANCELLED));
  }

  @Test
  void callStartedAfterTheDeadlinePassedEndsTheGatewayWith504Not500() throws InterruptedException {
    CompletableFuture<AggregatedHttpResponse> response = TestSupport.outsideClient(server.httpPort())
        .execute(RequestHeaders.builder(HttpMethod.GET, "/race?tag=race-deadline").add("reqctx-budget-ms", "600").build())
        .aggregate();
    assertThat(latch("race-deadline/call-created").await(10, TimeUnit.SECONDS)).isTrue();

    ticker.advance(Duration.ofMillis(600));

    // The 504 can be answered before the handler's blocking call has failed: wait for both.
    await().atMost(Duration.ofSeconds(10))
        .until(() -> answered.containsKey("race-deadline") && raceFailures.containsKey("race-deadline"));
    assertThat(response).succeedsWithin(Duration.ofSeconds(10))
        .satisfies(r -> assertThat(r.status()).as(r.contentUtf8() + " / " + raceFailures.get("race-deadline")).isEqualTo(HttpStatus.GATEWAY_TIMEOUT));
    assertThat(answered.get("race-deadline")).isEqualTo(504);
    assertThat(raceFailures.get("race-deadline")).isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.DEADLINE_EXCEEDED));
  }

  @Test
  void webClientWithAHugeCalleeCapSaturatesTheBudgetInsteadOfOverflowing() {
    Tier endless = Tier.define("webclient-endless", 4, Duration.ofSeconds(Long.MAX_VALUE));
    WebClient client = WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(endless).tierCapOutsideRequests(true).openTelemetry(otel).build()))
        .build();
    assertThat(client.get("/cache?tag=endless").aggregate().join().contentUtf8()).isEqualTo("hit");
    assertThat(seen.get("endless/cache").remainingMillis()).as("the cache's own cap still bounds it").isLessThanOrEqualTo(800);
  }
}
