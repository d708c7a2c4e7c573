package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.grpc.TestRpc;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Hedging;
import io.reqctx.resilience4j.RetryBudget;
import io.reqctx.testing.FakeTicker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet file's hedging policy drives reqctx-resilience4j's budget-aware hedging, checked against a
 * real Netty server on 127.0.0.1; the guard's alarm and the request's budget run on a fake ticker.
 */
class FleetGuardsTest {
  static final Fleet FLEET = FleetFiles.parse("hedged.yaml", """
      fleet: hedged
      tiers:
        fleet-guards-replica: {rank: 140, cap: 60s}   # far above any real time the test takes
      services:
        front:
          tier: gateway
          reserve: {floor: 1ms, fraction: 0}
          methods:
            GET /item:
              budget: 40s
              calls: [test.Replica/Get, test.Replica/Put]
        replica:
          tier: fleet-guards-replica
          methods:
            test.Replica/Get:
              budget: 30s
              idempotent: true
              hedging: {attempts: 2, delay: 50ms, nonFatal: [UNAVAILABLE]}
            test.Replica/Put:
              budget: 30s
      """, List.of());

  // Neither descriptor is marked idempotent: only the fleet file says Get may be repeated.
  static final MethodDescriptor<String, String> GET = TestRpc.unary("test.Replica/Get");
  static final MethodDescriptor<String, String> PUT = TestRpc.unary("test.Replica/Put");
  static final Metadata.Key<String> ATTEMPT = Metadata.Key.of("reqctx-attempt", Metadata.ASCII_STRING_MARSHALLER);

  static final FakeTicker ticker = new FakeTicker();
  static final Map<String, List<String>> seen = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> cancelled = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> released = new ConcurrentHashMap<>();
  static Server server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws IOException {
    io.grpc.Context.Key<String> attemptKey = io.grpc.Context.key("attempt");
    ServerCalls.UnaryMethod<String, String> handler = (request, responses) -> {
      String attempt = attemptKey.get();
      seen.computeIfAbsent(request, r -> new CopyOnWriteArrayList<>()).add(attempt);
      CountDownLatch gone = cancelled.computeIfAbsent(request + "#" + attempt, k -> new CountDownLatch(1));
      io.grpc.Context.current().addListener(c -> gone.countDown(), Runnable::run);
      if (request.startsWith("slow-first") && !"1".equals(attempt)) {
        responses.onNext(request + " answered by attempt " + attempt);
        responses.onCompleted();
        return;
      }
      try {
        CountDownLatch release = released.computeIfAbsent(request, r -> new CountDownLatch(1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && gone.getCount() > 0) {
          if (release.await(20, TimeUnit.MILLISECONDS)) {
            responses.onNext(request + " answered by attempt " + attempt);
            responses.onCompleted();
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      responses.onError(Status.CANCELLED.withDescription("cancelled while held").asRuntimeException());
    };
    ServerServiceDefinition service = ServerServiceDefinition.builder("test.Replica")
        .addMethod(GET, ServerCalls.asyncUnaryCall(handler))
        .addMethod(PUT, ServerCalls.asyncUnaryCall(handler))
        .build();
    io.grpc.ServerInterceptor keepAttempt = new io.grpc.ServerInterceptor() {
      @Override
      public <ReqT, RespT> io.grpc.ServerCall.Listener<ReqT> interceptCall(io.grpc.ServerCall<ReqT, RespT> call,
          Metadata headers, io.grpc.ServerCallHandler<ReqT, RespT> next) {
        return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(attemptKey, headers.get(ATTEMPT)),
            call, headers, next);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(service, RequestCtxServerInterceptor.create(
            FleetConfigs.server(FLEET, "replica").openTelemetry(OpenTelemetry.noop()).build()), keepAttempt))
        .build()
        .start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    released.values().forEach(CountDownLatch::countDown);
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static Channel fromFleet() {
    DownstreamGuard base = FleetGuards.guard(FLEET, "front", "replica")
        .ticker(ticker).executor(Runnable::run).openTelemetry(OpenTelemetry.noop())
        .retryBudget(RetryBudget.builder().ticker(ticker).build())
        .build();
    return ClientInterceptors.intercept(channel,
        RequestCtxClientInterceptor.create(
            FleetConfigs.client(FLEET, "front", "replica").openTelemetry(OpenTelemetry.noop()).build()),
        FleetGuards.interceptor(FLEET, "replica", base).build());
  }

  static void awaitAttempts(String request, int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> seen.getOrDefault(request, List.of()).size() >= n);
  }

  @Test
  void aMethodTheFileHedgesIsHedgedAfterTheFilesDelayAndTheLosingCallIsCancelled() throws Exception {
    Channel replica = fromFleet();
    String request = "slow-first:get";
    try (CancellableCtx origin = CancellableCtx.newRoot(Tier.GATEWAY).ticker(ticker).budget(Duration.ofSeconds(40))
        .open(); Scope s = origin.makeCurrent()) {
      ListenableFuture<String> answer = ClientCalls.futureUnaryCall(replica.newCall(GET, CallOptions.DEFAULT), request);
      awaitAttempts(request, 1);
      ticker.advance(Duration.ofMillis(49));
      assertThat(seen.get(request)).containsExactly("1");
      ticker.advance(Duration.ofMillis(1));
      assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("slow-first:get answered by attempt 2");
      assertThat(cancelled.get(request + "#1").await(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(seen.get(request)).containsExactly("1", "2");
  }

  @Test
  void aMethodTheFileDoesNotHedgeIsSentOnce() throws Exception {
    Channel replica = fromFleet();
    String request = "hold:put";
    try (CancellableCtx origin = CancellableCtx.newRoot(Tier.GATEWAY).ticker(ticker).budget(Duration.ofSeconds(40))
        .open(); Scope s = origin.makeCurrent()) {
      ListenableFuture<String> answer = ClientCalls.futureUnaryCall(replica.newCall(PUT, CallOptions.DEFAULT), request);
      awaitAttempts(request, 1);
      ticker.advance(Duration.ofSeconds(5)); // a hundred of Get's hedging delays
      released.computeIfAbsent(request, r -> new CountDownLatch(1)).countDown();
      assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("hold:put answered by attempt 1");
    }
    assertThat(seen.get(request)).containsExactly("1");
  }

  @Test
  void theFilesHedgingPolicyBecomesABudgetAwareHedgingWithItsNonFatalCodes() {
    HedgingPolicy policy = FLEET.service("replica").methods().get("test.Replica/Get").hedging();
    Hedging hedging = FleetGuards.hedging(policy);
    assertThat(hedging.maxAttempts()).isEqualTo(2);
    assertThat(hedging.delay()).isEqualTo(Duration.ofMillis(50));
    assertThat(hedging.percentile()).isEmpty();
    assertThat(hedging.nonFatal().test(new StatusRuntimeException(Status.UNAVAILABLE))).isTrue();
    assertThat(hedging.nonFatal().test(new StatusRuntimeException(Status.INTERNAL))).isFalse();
  }

  @Test
  void aPolicyAGrpcClientCouldNotFollowIsRefusedWithItsLocation() {
    Location at = Location.of("fleet.yaml", 7, 9);
    assertThatThrownBy(() -> FleetGuards.hedging(new HedgingPolicy(6, Duration.ofMillis(5), List.of(), at)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fleet.yaml:7:9").hasMessageContaining("6 attempts");
    assertThatThrownBy(() -> FleetGuards.hedging(new HedgingPolicy(2, Duration.ofMillis(5), List.of("UNAVAILBLE"), at)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'UNAVAILBLE'");
  }

  @Test
  void aGuardForAServiceTheFleetDoesNotHaveIsRefused() {
    assertThat(FleetGuards.guard(FLEET, "front", "replica").build().downstream()).isEqualTo("replica");
    assertThatThrownBy(() -> FleetGuards.guard(FLEET, "front", "billing"))
        .hasMessageContaining("has no service 'billing'");
  }
}
