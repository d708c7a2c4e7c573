package io.reqctx.resilience4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.errorprone.annotations.MustBeClosed;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.reqctx.Callee;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.TestRpc;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Hedging;
import io.reqctx.resilience4j.RetryBudget;
import io.reqctx.resilience4j.TestTelemetry;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Budget-aware hedging through {@link ResilienceClientInterceptor} and reqctx's own client interceptor,
 * against real Netty servers on 127.0.0.1. The guards' alarms and the requests' budgets run on a fake
 * ticker, so when a hedge is due is decided by the test, not by the machine's load; the calls themselves
 * are real, and the servers see their cancellation.
 */
@ExtendWith(StrictLeakExtension.class)
class HedgingLoopbackTest {
  /** A tier whose cap is far above any real time these tests take, so only the fake ticker decides. */
  static final Tier REPLICA = Tier.define("hedging-loopback-replica", 150, Duration.ofSeconds(60));

  static final MethodDescriptor<String, String> GET =
      TestRpc.unary("test.Replica/Get").toBuilder().setIdempotent(true).build();
  static final MethodDescriptor<String, String> PUT = TestRpc.unary("test.Replica/Put");
  static final MethodDescriptor<String, String> FRONT =
      TestRpc.unary("test.Front/Get").toBuilder().setIdempotent(true).build();

  static final FakeTicker ticker = new FakeTicker();
  static final List<Object> resources = new ArrayList<>();
  /** Per request: the attempt numbers the replica saw, and per attempt a latch counted down when it was cancelled. */
  static final Map<String, List<String>> seen = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> cancelled = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> released = new ConcurrentHashMap<>();

  static final AtomicInteger frontToLeafCalls = new AtomicInteger();

  static ManagedChannel replicaChannel;
  static ManagedChannel frontChannel;
  static Server replica;

  @BeforeAll
  static void startServers() {
    Loopback.Handler handler = (request, headers) -> {
      String attempt = headers.get(Loopback.ATTEMPT);
      seen.computeIfAbsent(request, r -> new CopyOnWriteArrayList<>()).add(attempt);
      CountDownLatch gone = cancelled.computeIfAbsent(request + "#" + attempt, k -> new CountDownLatch(1));
      io.grpc.Context.current().addListener(c -> gone.countDown(), Runnable::run);
      boolean slowFirst = request.startsWith("slow-first:");
      if (slowFirst && !"1".equals(attempt)) {
        return request + " answered by attempt " + attempt;
      }
      // Attempt 1 of slow-first, and every attempt of hold: wait to be released or cancelled.
      CountDownLatch release = released.computeIfAbsent(request, r -> new CountDownLatch(1));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && gone.getCount() > 0) {
        if (release.await(20, TimeUnit.MILLISECONDS)) {
          return request + " answered by attempt " + attempt;
        }
      }
      throw Status.CANCELLED.withDescription("cancelled while held").asRuntimeException();
    };
    replica = Loopback.serve(GET, REPLICA, handler);
    resources.add(replica);
    Server puts = Loopback.serve(PUT, REPLICA, handler);
    resources.add(puts);
    replicaChannel = connected(Loopback.channelTo(replica));
    ManagedChannel putChannel = connected(Loopback.channelTo(puts));
    putsTo = hedged(putChannel, guard(new TestTelemetry()).build());

    // front (hop 1) calls the replica through a hedging guard of its own, under the default rule (origin only).
    ClientInterceptor countCalls = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
          CallOptions options, Channel next) {
        frontToLeafCalls.incrementAndGet();
        return next.newCall(method, options);
      }
    };
    // Outermost the guard, then reqctx's interceptor, then the counter: it counts the calls each attempt makes.
    Channel frontToReplica = ClientInterceptors.intercept(connected(Loopback.channelTo(replica)), countCalls,
        reqctx(), ResilienceClientInterceptor.builder().service("test.Replica", guard(new TestTelemetry()).build())
            .build());
    Server front = Loopback.serve(FRONT, REPLICA, (request, headers) ->
        ClientCalls.blockingUnaryCall(frontToReplica, GET, CallOptions.DEFAULT, request));
    resources.add(front);
    frontChannel = connected(Loopback.channelTo(front));
  }

  static Channel putsTo;

  @AfterAll
  static void stopServers() throws InterruptedException {
    released.values().forEach(CountDownLatch::countDown);
    Loopback.shutdown(resources);
  }

  static ManagedChannel connected(ManagedChannel channel) {
    resources.add(0, channel);
    await().atMost(Duration.ofSeconds(30)).until(() -> channel.getState(true) == ConnectivityState.READY);
    return channel;
  }

  static ClientInterceptor reqctx() {
    return RequestCtxClientInterceptor.create(ClientConfig.builder(REPLICA).trusted(true)
        .openTelemetry(OpenTelemetry.noop()).build());
  }

  /** A hedging guard on the fake ticker: 2 attempts 50 ms apart. */
  static DownstreamGuard.Builder guard(TestTelemetry telemetry) {
    return DownstreamGuard.builder("replica").ticker(ticker).executor(Runnable::run)
        .callee(Callee.of("replica", REPLICA)) // attempts get the remaining budget, not the caller tier's cap
        .openTelemetry(telemetry.openTelemetry)
        .hedging(Hedging.fixedDelay(2, Duration.ofMillis(50)))
        .retryBudget(RetryBudget.builder().ticker(ticker).build());
  }

  static Channel hedged(ManagedChannel channel, DownstreamGuard guard) {
    return ClientInterceptors.intercept(channel, reqctx(),
        ResilienceClientInterceptor.builder().service("test.Replica", guard).build());
  }

  @MustBeClosed
  static CancellableCtx origin(Duration budget) {
    return CancellableCtx.newRoot(Tier.GATEWAY).ticker(ticker).budget(budget).open();
  }

  static ListenableFuture<String> start(Channel channel, MethodDescriptor<String, String> method, String request) {
    return ClientCalls.futureUnaryCall(channel.newCall(method, CallOptions.DEFAULT), request);
  }

  static void awaitAttempts(String request, int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> seen.getOrDefault(request, List.of()).size() >= n);
  }

  static boolean cancelSeen(String request, int attempt) throws InterruptedException {
    return cancelled.computeIfAbsent(request + "#" + attempt, k -> new CountDownLatch(1)).await(30, TimeUnit.SECONDS);
  }

  @Test
  void slowAttemptIsHedgedAfterTheDelayAndItsServerSeesTheCancelWhenTheHedgeAnswers() throws Exception {
    TestTelemetry telemetry = new TestTelemetry();
    Channel channel = hedged(replicaChannel, guard(telemetry).build());
    String request = "slow-first:a";
    try (CancellableCtx origin = origin(Duration.ofSeconds(30)); Scope s = origin.makeCurrent()) {
      ListenableFuture<String> answer = start(channel, GET, request);
      awaitAttempts(request, 1);
      ticker.advance(Duration.ofMillis(49));
      assertThat(seen.get(request)).containsExactly("1");
      ticker.advance(Duration.ofMillis(1));

      assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("slow-first:a answered by attempt 2");
      assertThat(cancelSeen(request, 1)).isTrue(); // the slow server's handler saw its call cancelled
    }
    assertThat(seen.get(request)).containsExactly("1", "2");
    assertThat(telemetry.counter("reqctx.hedges.sent")).isEqualTo(1);
    assertThat(telemetry.counter("reqctx.hedges.won")).isEqualTo(1);
    assertThat(telemetry.counter("reqctx.hedges.cancelled")).isEqualTo(1);
  }

  @Test
  void noHedgeIsSentWhenWhatIsLeftOfTheBudgetCannotFitAUsefulAttempt() throws Exception {
    TestTelemetry telemetry = new TestTelemetry();
    Channel channel = hedged(replicaChannel, guard(telemetry)
        .hedging(Hedging.builder().maxAttempts(2).delay(Duration.ofSeconds(20)).minimumBudget(Duration.ofSeconds(15))
            .build())
        .build());
    String request = "hold:no-budget";
    try (CancellableCtx origin = origin(Duration.ofSeconds(30)); Scope s = origin.makeCurrent()) {
      ListenableFuture<String> answer = start(channel, GET, request);
      awaitAttempts(request, 1);
      ticker.advance(Duration.ofSeconds(20)); // 10 s left, less after the reserve: a 15 s hedge cannot fit
      released.get(request).countDown();
      assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("hold:no-budget answered by attempt 1");
    }
    assertThat(seen.get(request)).containsExactly("1");
    assertThat(telemetry.counter("reqctx.hedges.not_sent", Map.of("reqctx.reason", "deadline_budget"))).isEqualTo(1);
    assertThat(telemetry.counter("reqctx.hedges.sent")).isZero();
  }

  @Test
  void aLateAttemptIsSentWithWhatIsLeftLessOneReserveNotTwo() throws Exception {
    TestTelemetry telemetry = new TestTelemetry();
    Channel channel = ClientInterceptors.intercept(replicaChannel, RequestCtxClientInterceptor.create(
            ClientConfig.builder(REPLICA).trusted(true).openTelemetry(telemetry.openTelemetry).build()),
        ResilienceClientInterceptor.builder().service("test.Replica", guard(telemetry).build()).build());
    String request = "hold:tight";
    // 30 s: the first attempt is given 30 000 - (5 + 2 %) = 29 395 ms. When the ticker passes that, it
    // times out and the next attempt goes at once, here with 18 ms left: the guard gives it 18 - 5.36 =
    // 12.64 ms, which reqctx's interceptor below sends as is. Taking the reserve again (12.64 - 5.25 =
    // 7.39 ms) would be below the 10 ms minimum viable budget, and the attempt would not be sent at all.
    try (CancellableCtx origin = origin(Duration.ofSeconds(30)); Scope s = origin.makeCurrent()) {
      ListenableFuture<String> answer = start(channel, GET, request);
      awaitAttempts(request, 1);
      ticker.advance(Duration.ofMillis(29_982)); // the second attempt is prepared and started by this thread
      released.get(request).countDown();
      // Its 12.64 ms are real time on grpc-java's clock: it may answer, or end DEADLINE_EXCEEDED.
      try {
        assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("hold:tight answered by attempt 2");
      } catch (ExecutionException e) {
        assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(e).hasMessageNotContaining("not sent");
      }
    }
    assertThat(telemetry.spans.getFinishedSpanItems()).filteredOn(span -> span.getKind() == SpanKind.CLIENT)
        .extracting(span -> span.getAttributes().get(AttributeKey.longKey("reqctx.budget.outbound_ms")))
        .containsExactlyInAnyOrder(29_395L, 12L);
  }

  @Test
  void aMethodThatIsNotIdempotentIsNeverHedged() throws Exception {
    String request = "hold:put";
    try (CancellableCtx origin = origin(Duration.ofSeconds(30)); Scope s = origin.makeCurrent()) {
      ListenableFuture<String> answer = start(putsTo, PUT, request);
      awaitAttempts(request, 1);
      ticker.advance(Duration.ofSeconds(5)); // a hundred hedging delays
      released.get(request).countDown();
      assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("hold:put answered by attempt 1");
    }
    assertThat(seen.get(request)).containsExactly("1");
  }

  @Test
  void hedgesOfManyCallsStayWithinTheRetryBudget() throws Exception {
    TestTelemetry telemetry = new TestTelemetry();
    Channel channel = hedged(replicaChannel, guard(telemetry)
        .retryBudget(RetryBudget.builder().ratio(0.2).minRetriesPerSecond(0).ticker(ticker).build()).build());
    int calls = 10;
    List<ListenableFuture<String>> answers = new ArrayList<>();
    try (CancellableCtx origin = origin(Duration.ofSeconds(30)); Scope s = origin.makeCurrent()) {
      for (int i = 0; i < calls; i++) {
        answers.add(start(channel, GET, "hold:burst-" + i));
      }
      for (int i = 0; i < calls; i++) {
        awaitAttempts("hold:burst-" + i, 1);
      }
      ticker.advance(Duration.ofMillis(50));
      await().atMost(Duration.ofSeconds(30)).until(() ->
          seen.entrySet().stream().filter(e -> e.getKey().startsWith("hold:burst-"))
              .mapToInt(e -> e.getValue().size()).sum() == calls + 2);
      for (int i = 0; i < calls; i++) {
        released.get("hold:burst-" + i).countDown();
      }
      for (ListenableFuture<String> answer : answers) {
        assertThat(answer.get(30, TimeUnit.SECONDS)).startsWith("hold:burst-");
      }
    }
    assertThat(telemetry.counter("reqctx.hedges.sent")).isEqualTo(2); // 20 % of 10 calls
    assertThat(telemetry.counter("reqctx.hedges.not_sent", Map.of("reqctx.reason", "retry_budget"))).isEqualTo(8);
    assertThat(seen.entrySet().stream().filter(e -> e.getKey().startsWith("hold:burst-"))
        .mapToInt(e -> e.getValue().size()).sum()).isEqualTo(calls + 2);
  }

  @Test
  void hedgesDoNotMultiplyDownAChainOnlyTheOriginHedges() throws Exception {
    TestTelemetry telemetry = new TestTelemetry();
    Channel toFront = ClientInterceptors.intercept(frontChannel, reqctx(),
        ResilienceClientInterceptor.builder().service("test.Front", guard(telemetry).build()).build());
    String request = "hold:chain";
    int before = frontToLeafCalls.get();
    try (CancellableCtx origin = origin(Duration.ofSeconds(30)); Scope s = origin.makeCurrent()) {
      ListenableFuture<String> answer = start(toFront, FRONT, request);
      awaitAttempts(request, 1);
      ticker.advance(Duration.ofMillis(50)); // the origin hedges its call to front
      awaitAttempts(request, 2);
      ticker.advance(Duration.ofSeconds(5)); // front's own guard would hedge now, were it allowed to
      released.get(request).countDown();
      assertThat(answer.get(30, TimeUnit.SECONDS)).startsWith("hold:chain answered by attempt 1");
    }
    assertThat(frontToLeafCalls.get() - before).isEqualTo(2); // one per front attempt: 2, not 2 x 2
    assertThat(telemetry.counter("reqctx.hedges.sent")).isEqualTo(1);
  }
}
