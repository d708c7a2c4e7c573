package io.reqctx.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Client-side chaos on a real channel, inside reqctx's client interceptor: the callee receives a
 * skewed or late deadline, or a cancel, and the caller's span records each fault.
 */
@ExtendWith(StrictLeakExtension.class)
class GrpcClientChaosTest {
  private static final String SHRINK = "chaos.Client/Shrink";
  private static final String STRETCH = "chaos.Client/Stretch";
  private static final String LATE = "chaos.Client/Late";
  private static final String HANG = "chaos.Client/Hang";
  private static final String HELD = "chaos.Client/Held";
  private static final String WARM = "chaos.Client/Warm";

  private static Telemetry telemetry;
  private static Chaos chaos;
  private static Server server;
  private static ManagedChannel channel;
  private static Channel chaotic;
  /** Per request id: the deadline the callee's transport put on its grpc context, in ms. */
  private static final Map<String, Long> deadlineMs = new ConcurrentHashMap<>();
  private static final Map<String, CountDownLatch> hangCancelled = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    telemetry = new Telemetry();
    chaos = Chaos.builder()
        .seed(77)
        .rule(ChaosRule.onClient(SHRINK, 1, Fault.deadlineSkew(0.5, Duration.ZERO)))
        .rule(ChaosRule.onClient(STRETCH, 1, Fault.deadlineSkew(1, Duration.ofSeconds(2))))
        .rule(ChaosRule.onClient(LATE, 1, Fault.latency(Duration.ofMillis(150), Duration.ofMillis(200))))
        // long enough for the call to reach the callee first, even on a loaded machine
        .rule(ChaosRule.onClient(HANG, 1, Fault.cancelStorm(Duration.ofMillis(500), Duration.ofMillis(1000))))
        .rule(ChaosRule.onClient(HELD, 1, Fault.latency(Duration.ofMinutes(10), Duration.ofMinutes(10))))
        .openTelemetry(telemetry.sdk)
        .build();
    ServerServiceDefinition.Builder service = ServerServiceDefinition.builder("chaos.Client");
    for (String method : new String[] {SHRINK, STRETCH, LATE, HELD, WARM}) {
      service.addMethod(Rpc.unary(method), ServerCalls.asyncUnaryCall((request, responses) -> {
        io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
        deadlineMs.put(RequestCtx.current().requestId(), deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
        responses.onNext("ok");
        responses.onCompleted();
      }));
    }
    service.addMethod(Rpc.unary(HANG), ServerCalls.asyncUnaryCall((request, responses) -> {
      CountDownLatch cancelled = hangCancelled.computeIfAbsent(RequestCtx.current().requestId(), id -> new CountDownLatch(1));
      RequestCtx.current().onCancel(cause -> cancelled.countDown()); // answers only when cancelled
    }));
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(telemetry.sdk).build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(service.build(), RequestCtxServerInterceptor.create(config)))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    // A first call sets up the connection and the server's pipeline, which in a fresh JVM can take
    // longer than a fault's delay; no chaos rule matches it.
    Rpc.call(channel, Rpc.unary(WARM), "c-warm", "go", Duration.ofSeconds(30)).orTimeout(30, TimeUnit.SECONDS).join();
    chaotic = ClientInterceptors.intercept(channel,
        ChaosClientInterceptor.create(chaos),
        RequestCtxClientInterceptor.create(ClientConfig.builder(Tier.SERVICE).trusted(true).openTelemetry(telemetry.sdk).build()));
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    chaos.close();
    telemetry.close();
  }

  /** Calls {@code method} from a request with {@code budget}, inside a span of the caller. */
  private static Rpc.Result callFromRequest(String method, String requestId, Duration budget) {
    Span caller = telemetry.sdk.getTracer("test").spanBuilder("caller " + requestId).startSpan();
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).requestId(requestId).budget(budget).open();
        Scope r = request.makeCurrent();
        Scope s = caller.makeCurrent()) {
      return Rpc.call(chaotic, Rpc.unary(method), null, "go", Duration.ofSeconds(30)).orTimeout(30, TimeUnit.SECONDS).join();
    } finally {
      caller.end();
    }
  }

  private static long injected(String fault) {
    return telemetry.counter("reqctx.chaos.faults", Attributes.of(ChaosTelemetry.FAULT, fault,
        ChaosTelemetry.SIDE, "client", ChaosTelemetry.RESULT, "injected"));
  }

  private static Attributes eventOf(String spanName, String event) {
    return telemetry.spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(spanName))
        .flatMap(s -> s.getEvents().stream()).filter(e -> e.getName().equals(event)).findFirst().orElseThrow()
        .getAttributes();
  }

  @Test
  void aShorterSkewReachesTheCalleeAsASmallerGrpcTimeout() {
    Rpc.Result result = callFromRequest(SHRINK, "c-shrink", Duration.ofSeconds(2));

    assertThat(result.code()).isEqualTo(Status.Code.OK);
    assertThat(deadlineMs.get("c-shrink")).isBetween(1L, 1_000L);
    assertThat(eventOf("caller c-shrink", "reqctx.chaos.deadline_skew").get(ChaosTelemetry.BUDGET_AFTER_MS)).isBetween(1L, 1_000L);
  }

  @Test
  void aLongerSkewReachesTheCalleeBeyondTheCallersOwnDeadline() {
    Rpc.Result result = callFromRequest(STRETCH, "c-stretch", Duration.ofMillis(500));

    assertThat(result.code()).isEqualTo(Status.Code.OK);
    assertThat(deadlineMs.get("c-stretch")).isBetween(2_001L, 2_500L); // the caller had at most 500 ms
    assertThat(injected("deadline_skew")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void latencyHoldsTheCallWhileItsDeadlineRuns() {
    long before = injected("latency");
    Rpc.Result result = callFromRequest(LATE, "c-late", Duration.ofSeconds(1));

    assertThat(result.code()).isEqualTo(Status.Code.OK);
    assertThat(deadlineMs.get("c-late")).isBetween(1L, 1_000L - 150);
    assertThat(eventOf("caller c-late", "reqctx.chaos.latency").get(ChaosTelemetry.DELAY_MS)).isBetween(150L, 200L);
    assertThat(injected("latency")).isEqualTo(before + 1);
  }

  @Test
  void aCancelStormCancelsTheCallAndTheCalleeSeesItsRequestCancelled() throws Exception {
    Rpc.Result result = callFromRequest(HANG, "c-hang", Duration.ofSeconds(5));

    assertThat(result.code()).isEqualTo(Status.Code.CANCELLED);
    assertThat(result.description()).startsWith("reqctx-chaos: CancelStorm cancelled the call after");
    await().atMost(Duration.ofSeconds(30)).until(() -> hangCancelled.containsKey("c-hang"));
    assertThat(hangCancelled.get("c-hang").await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(eventOf("caller c-hang", "reqctx.chaos.cancel_storm").get(ChaosTelemetry.DELAY_MS)).isBetween(500L, 1000L);
    assertThat(injected("cancel_storm")).isEqualTo(1);
  }

  @Test
  void aBlockingCallHeldByLatencyEndsWhenItsRequestIsCancelledFromAnotherThread() throws Exception {
    long before = injected("latency");
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).requestId("held-1").budget(Duration.ofMinutes(30)).open()) {
      // A blocking stub waits on its call's executor: the call's end must be delivered there, or the
      // waiting thread is never woken (the held call has no deadline timer of its own yet).
      Future<Status.Code> blocking = caller.submit(() -> {
        try (Scope r = request.makeCurrent()) {
          ClientCalls.blockingUnaryCall(chaotic, Rpc.unary(HELD), CallOptions.DEFAULT, "go");
          return Status.Code.OK;
        } catch (StatusRuntimeException e) {
          return e.getStatus().getCode();
        }
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> injected("latency") == before + 1); // the call is held
      request.cancel(); // from this thread, not the caller's

      assertThat(blocking.get(30, TimeUnit.SECONDS)).isEqualTo(Status.Code.CANCELLED);
    } finally {
      caller.shutdownNow();
    }
  }
}
