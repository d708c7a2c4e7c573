package io.reqctx.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Server-side chaos on a real grpc-java Netty server on loopback, around reqctx's interceptor: each
 * fault hits the fraction of calls its seed and the request ids pick, the handler sees it through
 * reqctx's and grpc's own APIs, metrics and span events record it, and every scope closes.
 */
@ExtendWith(StrictLeakExtension.class)
class GrpcServerChaosTest {
  private static final String WAIT = "chaos.Test/Wait";
  private static final String BLOCK = "chaos.Test/Block";
  private static final String LATE = "chaos.Test/Late";
  private static final String SHRINK = "chaos.Test/Shrink";
  private static final String STRETCH = "chaos.Test/Stretch";
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private static Telemetry telemetry;
  private static Chaos chaos;
  private static Server server;
  private static ManagedChannel channel;
  private static ScheduledExecutorService timers;
  private static final Map<String, Seen> seen = new ConcurrentHashMap<>();

  /** What a handler saw of its call. */
  static final class Seen {
    volatile @Nullable Throwable ctxCause;
    volatile boolean grpcContextCancelledWithCtx;
    volatile boolean cancelHandlerRan;
    volatile boolean callCancelledInHandler;
    volatile boolean handlerReturnedBeforeCancelHandler;
    volatile boolean handlerReturned;
    volatile long remainingMs = -1;
    volatile long grpcDeadlineMs = -1;
  }

  @BeforeAll
  static void startServer() throws Exception {
    telemetry = new Telemetry();
    timers = Executors.newSingleThreadScheduledExecutor();
    chaos = Chaos.builder()
        .seed(2026)
        .rule(ChaosRule.onServer(WAIT, 0.3, Fault.cancelStorm(Duration.ofMillis(50), Duration.ofMillis(100))))
        .rule(ChaosRule.onServer(BLOCK, 1, Fault.cancelStorm(Duration.ofMillis(100), Duration.ofMillis(200))))
        .rule(ChaosRule.onServer(LATE, 0.5, Fault.latency(Duration.ofMillis(100), Duration.ofMillis(150))))
        .rule(ChaosRule.onServer(SHRINK, 1, Fault.deadlineSkew(0.5, Duration.ZERO)))
        .rule(ChaosRule.onServer(STRETCH, 1, Fault.deadlineSkew(2.5, Duration.ZERO)))
        .openTelemetry(telemetry.sdk)
        .build();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(telemetry.sdk).build();
    ServerServiceDefinition service = ServerServiceDefinition.builder("chaos.Test")
        .addMethod(Rpc.unary(WAIT), ServerCalls.asyncUnaryCall(GrpcServerChaosTest::waitForCancel))
        .addMethod(Rpc.unary(BLOCK), ServerCalls.asyncUnaryCall(GrpcServerChaosTest::blockUntilCancelled))
        .addMethod(Rpc.unary(LATE), ServerCalls.asyncUnaryCall(GrpcServerChaosTest::budget))
        .addMethod(Rpc.unary(SHRINK), ServerCalls.asyncUnaryCall(GrpcServerChaosTest::budget))
        .addMethod(Rpc.unary(STRETCH), ServerCalls.asyncUnaryCall(GrpcServerChaosTest::budget))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(service,
            ChaosServerInterceptor.wrap(chaos, RequestCtxServerInterceptor.create(config))))
        .addStreamTracerFactory(ChaosServerInterceptor.deadlineSkewTracer(chaos))
        .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopServer() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    timers.shutdownNow();
    chaos.close();
    telemetry.close();
  }

  /** Answers after 2 s unless its call is cancelled first; records what it saw of the cancel. */
  private static void waitForCancel(String request, StreamObserver<String> responses) {
    ServerCallStreamObserver<String> observer = (ServerCallStreamObserver<String>) responses;
    RequestCtx ctx = RequestCtx.current();
    io.grpc.Context grpc = io.grpc.Context.current();
    Seen s = new Seen();
    seen.put(ctx.requestId(), s);
    observer.setOnCancelHandler(() -> {
      s.callCancelledInHandler = observer.isCancelled();
      s.cancelHandlerRan = true;
    });
    RequestCtx.CancelRegistration registration = ctx.onCancel(cause -> {
      s.ctxCause = cause;
      s.grpcContextCancelledWithCtx = grpc.isCancelled();
    });
    timers.schedule(() -> {
      if (registration.remove()) { // not cancelled: answer
        observer.onNext("done");
        observer.onCompleted();
      }
    }, 2, TimeUnit.SECONDS);
  }

  /** Blocks its thread until the request's ctx is cancelled (at most 20 s), as blocking handlers do. */
  private static void blockUntilCancelled(String request, StreamObserver<String> responses) {
    ServerCallStreamObserver<String> observer = (ServerCallStreamObserver<String>) responses;
    RequestCtx ctx = RequestCtx.current();
    Seen s = new Seen();
    seen.put(ctx.requestId(), s);
    observer.setOnCancelHandler(() -> {
      s.handlerReturnedBeforeCancelHandler = s.handlerReturned;
      s.cancelHandlerRan = true;
    });
    CountDownLatch cancelled = new CountDownLatch(1);
    RequestCtx.CancelRegistration registration = ctx.onCancel(cause -> {
      s.ctxCause = cause;
      cancelled.countDown();
    });
    try {
      if (cancelled.await(20, TimeUnit.SECONDS)) {
        s.callCancelledInHandler = observer.isCancelled() && io.grpc.Context.current().isCancelled();
      } else {
        registration.remove();
        observer.onNext("never cancelled");
        observer.onCompleted();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    s.handlerReturned = true;
  }

  /** Answers at once with the budget it received, as reqctx and grpc's context see it. */
  private static void budget(String request, StreamObserver<String> responses) {
    RequestCtx ctx = RequestCtx.current();
    Seen s = new Seen();
    s.remainingMs = ctx.remainingBudget().orElseThrow().toMillis();
    io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
    s.grpcDeadlineMs = deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS);
    seen.put(ctx.requestId(), s);
    responses.onNext(Long.toString(s.remainingMs));
    responses.onCompleted();
  }

  private static List<String> ids(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> prefix + "-" + i).toList();
  }

  private static boolean picked(String method, String id) {
    return !chaos.rulesFor(ChaosRule.Side.SERVER, method, id).isEmpty();
  }

  private static Map<String, Rpc.Result> callAll(String method, List<String> ids, Duration deadline) {
    Map<String, CompletableFuture<Rpc.Result>> calls = new ConcurrentHashMap<>();
    for (String id : ids) {
      calls.put(id, Rpc.call(channel, Rpc.unary(method), id, "go", deadline));
    }
    Map<String, Rpc.Result> results = new ConcurrentHashMap<>();
    calls.forEach((id, call) -> results.put(id, call.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join()));
    return results;
  }

  private static List<SpanData> serverSpansOf(String method) {
    return telemetry.spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(method)).toList();
  }

  private static long faults(String fault, String result) {
    return telemetry.counter("reqctx.chaos.faults", Attributes.of(ChaosTelemetry.FAULT, fault,
        ChaosTelemetry.SIDE, "server", ChaosTelemetry.RESULT, result));
  }

  @Test
  void cancelStormCancelsThePickedFractionOfCallsAndTheHandlerSeesItThroughReqctxAndGrpc() {
    List<String> ids = ids("wait", 200);
    List<String> picked = ids.stream().filter(id -> picked(WAIT, id)).toList();
    assertThat(picked.size()).as("the seed picks about 30 %% of 200").isBetween(40, 80);

    Map<String, Rpc.Result> results = callAll(WAIT, ids, Duration.ofSeconds(20));

    for (String id : ids) {
      Rpc.Result result = results.get(id);
      if (picked.contains(id)) {
        assertThat(result.code()).as(id).isEqualTo(Status.Code.CANCELLED);
        assertThat(result.description()).as(id).startsWith("reqctx-chaos: CancelStorm cancelled the call after");
        Seen s = seen.get(id);
        if (s == null) {
          continue; // cancelled before its handler started (a loaded machine): grpc then never starts it
        }
        assertThat(s.ctxCause).as(id).isInstanceOf(CancellationException.class);
        assertThat(s.grpcContextCancelledWithCtx).as("grpc context cancelled when the ctx was: %s", id).isTrue();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(s.cancelHandlerRan).as(id).isTrue());
        assertThat(s.callCancelledInHandler).as("ServerCall.isCancelled() in the cancel handler: %s", id).isTrue();
      } else {
        assertThat(result.code()).as("%s: %s", id, result.description()).isEqualTo(Status.Code.OK);
        assertThat(seen.get(id).ctxCause).as(id).isNull();
      }
    }
    assertThat(faults("cancel_storm", "injected")).isEqualTo(picked.size());
    assertThat(faults("cancel_storm", "missed")).isZero();
    await().atMost(PATIENCE).untilAsserted(() -> {
      List<SpanData> spans = serverSpansOf(WAIT);
      assertThat(spans).hasSize(ids.size());
      assertThat(spans.stream().filter(s -> s.getEvents().stream().anyMatch(e -> e.getName().equals("reqctx.chaos.cancel_storm"))))
          .hasSize(picked.size())
          .allSatisfy(span -> assertThat(span.getAttributes().get(AttributeKey.stringKey("reqctx.outcome"))).isEqualTo("cancelled"));
    });
    assertThat(telemetry.events("reqctx.chaos.cancel_storm"))
        .allSatisfy(e -> assertThat(e.getAttributes().get(ChaosTelemetry.DELAY_MS)).isBetween(50L, 100L));
    assertThat(picked).as("handlers that saw the cancel").filteredOn(seen::containsKey).isNotEmpty();
  }

  @Test
  void aBlockingHandlerWakesOnTheInjectedCancelAndItsCancelHandlerRunsOnlyAfterItReturns() {
    List<String> ids = ids("block", 8);

    Map<String, Rpc.Result> results = callAll(BLOCK, ids, Duration.ofSeconds(20));

    assertThat(results.values()).allSatisfy(r -> assertThat(r.code()).isEqualTo(Status.Code.CANCELLED));
    assertThat(ids).as("handlers that started").filteredOn(seen::containsKey).isNotEmpty();
    for (String id : ids) {
      Seen s = seen.get(id);
      if (s == null) {
        continue; // cancelled before its handler started
      }
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(s.cancelHandlerRan).as(id).isTrue());
      assertThat(s.ctxCause).as(id).isInstanceOf(CancellationException.class);
      assertThat(s.callCancelledInHandler).as("isCancelled() and the grpc context, seen in the handler: %s", id).isTrue();
      assertThat(s.handlerReturnedBeforeCancelHandler).as("callbacks stay serialised: %s", id).isTrue();
    }
  }

  @Test
  void latencyDelaysThePickedHandlersInsideTheRequestsBudget() {
    List<String> ids = ids("late", 40);
    List<String> picked = ids.stream().filter(id -> picked(LATE, id)).toList();
    assertThat(picked).isNotEmpty().hasSizeLessThan(ids.size());

    Map<String, Rpc.Result> results = callAll(LATE, ids, Duration.ofSeconds(5));

    assertThat(results.values()).allSatisfy(r -> assertThat(r.code()).isEqualTo(Status.Code.OK));
    for (String id : picked) {
      // The delay (>= 100 ms) ran on the request's clock before the handler read its budget.
      assertThat(seen.get(id).remainingMs).as(id).isLessThanOrEqualTo(5_000 - 100);
    }
    assertThat(faults("latency", "injected")).isEqualTo(picked.size());
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(serverSpansOf(LATE).stream().filter(s -> s.getEvents().stream().anyMatch(e -> e.getName().equals("reqctx.chaos.latency"))))
            .hasSize(picked.size()));
  }

  @Test
  void deadlineSkewShortensTheBudgetBeforeReqctxAndGrpcReadIt() {
    Rpc.Result result = Rpc.call(channel, Rpc.unary(SHRINK), "shrink-1", "go", Duration.ofSeconds(2)).join();

    assertThat(result.code()).isEqualTo(Status.Code.OK);
    Seen s = seen.get("shrink-1");
    assertThat(s.remainingMs).isBetween(1L, 1_000L);
    assertThat(s.grpcDeadlineMs).isBetween(1L, 1_000L);
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(serverSpansOf(SHRINK)).singleElement().satisfies(span ->
        assertThat(span.getEvents()).filteredOn(e -> e.getName().equals("reqctx.chaos.deadline_skew")).singleElement()
            .satisfies(e -> {
              assertThat(e.getAttributes().get(ChaosTelemetry.BUDGET_BEFORE_MS)).isBetween(1_000L, 2_000L);
              assertThat(e.getAttributes().get(ChaosTelemetry.BUDGET_AFTER_MS)).isBetween(500L, 1_000L);
            })));
  }

  @Test
  void deadlineSkewLengthensTheBudgetAndTheTracerMovesGrpcJavasOwnDeadlineWithIt() {
    Rpc.Result result = Rpc.call(channel, Rpc.unary(STRETCH), "stretch-1", "go", Duration.ofSeconds(1)).join();

    assertThat(result.code()).isEqualTo(Status.Code.OK);
    Seen s = seen.get("stretch-1");
    // More than the caller sent: only the skew can do that (the service tier's cap is 3 s).
    assertThat(s.remainingMs).isBetween(1_001L, 2_500L);
    assertThat(s.grpcDeadlineMs).isBetween(1_001L, 2_500L);
    assertThat(faults("deadline_skew", "injected")).isGreaterThanOrEqualTo(1);
  }
}
