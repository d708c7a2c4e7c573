package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import io.reqctx.transport.ClientConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The client interceptor against a plain grpc-java server (no reqctx on the server side). */
@ExtendWith(StrictLeakExtension.class)
class ClientInterceptorTest {
  static final CtxKey<String> SECRET = CtxKey.propagated("secret", KeyCodec.string()).sensitive().build();
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  static final MethodDescriptor<String, String> HEADERS = TestRpc.unary("plain.Plain/Headers");
  static final MethodDescriptor<String, String> HANG = TestRpc.unary("plain.Plain/Hang");
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetry otel = TestRpc.openTelemetry(spans);

  static final AtomicInteger arrivals = new AtomicInteger();
  static final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();
  static final CountDownLatch hangStarted = new CountDownLatch(1);
  static final CountDownLatch hangCancelled = new CountDownLatch(1);
  static Server server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        arrivals.incrementAndGet();
        lastHeaders.set(headers);
        return Contexts.interceptCall(io.grpc.Context.current(), call, headers, next);
      }
    };
    var service = io.grpc.ServerServiceDefinition.builder("plain.Plain")
        .addMethod(TestRpc.service(HEADERS, request -> "ok").getMethod(HEADERS.getFullMethodName()))
        .addMethod(TestRpc.service(HANG, request -> {
          io.grpc.Context.current().addListener(c -> hangCancelled.countDown(), Runnable::run);
          hangStarted.countDown();
          hangCancelled.await(10, TimeUnit.SECONDS);
          return "done";
        }).getMethod(HANG.getFullMethodName()))
        .build();
    server = TestRpc.start(service, capture);
    channel = TestRpc.channelTo(server);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(channel, server));
  }

  static Channel intercepted(ClientConfig.Builder config) {
    return ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(config.openTelemetry(otel).build()));
  }

  static String header(String name) {
    return lastHeaders.get().get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
  }

  @Test
  void budgetBelowTheMinimumFailsAtOnceWithoutTouchingTheNetwork() {
    int before = arrivals.get();
    FakeTicker ticker = new FakeTicker();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofMillis(12)).open();
        Scope ignored = scope.makeCurrent()) {
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(intercepted(ClientConfig.builder(Tier.CACHE)), HEADERS,
          CallOptions.DEFAULT, "x"))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(e.getStatus().getDescription())
                .contains("plain.Plain/Headers", "budget 6ms", "remaining 12ms", "reserve 5ms", "minimum viable budget 10ms");
          });
    }
    assertThat(arrivals.get()).isEqualTo(before);
  }

  @Test
  void sendsTheCalleeBudgetAndTheReqctxHeaders() {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(2)).requestId("req-1")
            .hopCount(3).inboundAttempt(2).value(TENANT, "acme corp").value(SECRET, "s3cr3t").open();
        Scope ignored = scope.makeCurrent()) {
      ClientCalls.blockingUnaryCall(intercepted(ClientConfig.builder(Tier.CACHE).trusted(true)), HEADERS, CallOptions.DEFAULT, "x");
    }
    assertThat(header("x-request-id")).isEqualTo("req-1");
    assertThat(header("reqctx-tier")).isEqualTo("service");
    assertThat(header("reqctx-hop")).isEqualTo("4");
    assertThat(header("reqctx-attempt")).as("this hop was attempt 2; its own call is a first try").isEqualTo("1");
    assertThat(header("reqctx-key-tenant")).isEqualTo("acme%20corp");
    assertThat(header("reqctx-key-secret")).isEqualTo("s3cr3t");
    assertThat(header("traceparent")).startsWith("00-");
    assertThat(wireBudgetNanos()).isPositive().isLessThanOrEqualTo(800_000_000L);
    assertThat(spans.getFinishedSpanItems()).anySatisfy(span -> assertThat(span.getAttributes().asMap().toString())
        .contains("reqctx.budget.outbound_ms=800", "reqctx.callee.tier=cache"));
  }

  /** The budget the server saw in {@code grpc-timeout}: the call's deadline less the time until it was sent. */
  static long wireBudgetNanos() {
    return io.reqctx.internal.wire.GrpcTimeout.parseNanos(header("grpc-timeout")).getAsLong();
  }

  @Test
  void sensitiveKeysAreNotSentToAnUntrustedChannel() {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).value(TENANT, "acme").value(SECRET, "s3cr3t").open();
        Scope ignored = scope.makeCurrent()) {
      ClientCalls.blockingUnaryCall(intercepted(ClientConfig.builder(Tier.CACHE)), HEADERS, CallOptions.DEFAULT, "x");
    }
    assertThat(header("reqctx-key-tenant")).isEqualTo("acme");
    assertThat(header("reqctx-key-secret")).isNull();
  }

  @Test
  void methodOverrideAndAnEarlierCallDeadlineWin() {
    ClientConfig.Builder override = ClientConfig.builder(Tier.SERVICE)
        .methodCallees(m -> Callee.of(m, Tier.CACHE, Duration.ofMillis(300)));
    ClientCalls.blockingUnaryCall(intercepted(override), HEADERS, CallOptions.DEFAULT, "x");
    assertThat(wireBudgetNanos()).as("the method's 300 ms, not the channel tier's 3 s").isPositive().isLessThanOrEqualTo(300_000_000L);
    ClientConfig.Builder threeSeconds = ClientConfig.builder(Tier.SERVICE)
        .methodCallees(m -> Callee.of(m, Tier.SERVICE, Duration.ofSeconds(3)));
    ClientCalls.blockingUnaryCall(intercepted(threeSeconds), HEADERS, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS), "x");
    assertThat(wireBudgetNanos()).as("the call's own earlier deadline").isPositive().isLessThanOrEqualTo(1_000_000_000L);
  }

  @Test
  void cancellingTheCtxCancelsTheOutgoingCall() throws InterruptedException {
    var future = ClientCallsHolder.start();
    assertThat(hangStarted.await(5, TimeUnit.SECONDS)).isTrue();
    ClientCallsHolder.scope.cancel();
    assertThat(hangCancelled.await(5, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(future::get).isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(java.util.concurrent.CancellationException.class);
    ClientCallsHolder.scope.close();
  }

  @Test
  void callFromAnAlreadyCancelledCtxIsNotSent() {
    int before = arrivals.get();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      scope.cancel();
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(intercepted(ClientConfig.builder(Tier.CACHE)), HEADERS,
          CallOptions.DEFAULT, "x"))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
    }
    assertThat(arrivals.get()).isEqualTo(before);
  }

  @Test
  void ctxCancelledBetweenNewCallAndStartGivesTheStubCancelledNotIllegalState() {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(2)).open();
        Scope ignored = scope.makeCurrent()) {
      io.grpc.ClientCall<String, String> call = intercepted(ClientConfig.builder(Tier.CACHE)).newCall(HEADERS, CallOptions.DEFAULT);
      scope.cancel(); // the request's ctx is cancelled just as the stub starts the call
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(call, "x"))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
    }
  }

  @Test
  void ctxDeadlinePassingBetweenNewCallAndStartGivesTheStubDeadlineExceeded() {
    FakeTicker ticker = new FakeTicker();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(2)).open();
        Scope ignored = scope.makeCurrent()) {
      io.grpc.ClientCall<String, String> call = intercepted(ClientConfig.builder(Tier.CACHE)).newCall(HANG, CallOptions.DEFAULT);
      ticker.advance(Duration.ofSeconds(2));
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(call, "x"))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    }
  }

  @Test
  void ctxCancelledWhileStubsSendNeverSurfacesIllegalState() throws Exception {
    java.util.concurrent.ExecutorService cancellers = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      for (int i = 0; i < 200; i++) {
        try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(2)).open();
            Scope ignored = scope.makeCurrent()) {
          io.grpc.ClientCall<String, String> call = intercepted(ClientConfig.builder(Tier.CACHE)).newCall(HEADERS, CallOptions.DEFAULT);
          java.util.concurrent.Future<?> cancel = cancellers.submit(() -> scope.cancel());
          try {
            ClientCalls.blockingUnaryCall(call, "x");
          } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
          }
          cancel.get(5, TimeUnit.SECONDS);
        }
      }
    } finally {
      cancellers.shutdownNow();
    }
  }

  @Test
  void aRefusedCallDeliversOnCloseThroughTheCallExecutorNotInsideStart() {
    java.util.List<Runnable> queued = new java.util.ArrayList<>();
    AtomicReference<Status> closed = new AtomicReference<>();
    FakeTicker ticker = new FakeTicker();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofMillis(12)).open();
        Scope ignored = scope.makeCurrent()) {
      io.grpc.ClientCall<String, String> call = intercepted(ClientConfig.builder(Tier.CACHE))
          .newCall(HEADERS, CallOptions.DEFAULT.withExecutor(queued::add));
      call.start(new io.grpc.ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.set(status);
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage("x");
      call.halfClose();
      assertThat(closed.get()).as("not inside start()").isNull();
    }
    assertThat(queued).hasSize(1);
    queued.forEach(Runnable::run);
    assertThat(closed.get().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }

  @Test
  void aCallCreatedButNeverStartedLeavesNoSpan() {
    spans.reset();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(2)).open();
        Scope ignored = scope.makeCurrent()) {
      intercepted(ClientConfig.builder(Tier.CACHE)).newCall(HEADERS, CallOptions.DEFAULT);
      intercepted(ClientConfig.builder(Tier.CACHE).methodCallees(m -> Callee.of(m, Tier.CACHE, Duration.ofMillis(1))))
          .newCall(HEADERS, CallOptions.DEFAULT); // refused: below the minimum viable budget
    }
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void aCallOutsideAnyRequestGetsNoDeadlineFromTheTierCap() {
    ClientCalls.blockingUnaryCall(intercepted(ClientConfig.builder(Tier.CACHE)), HEADERS, CallOptions.DEFAULT, "x");
    assertThat(header("grpc-timeout")).isNull();
    ClientCalls.blockingUnaryCall(intercepted(ClientConfig.builder(Tier.CACHE).tierCapOutsideRequests(true)), HEADERS,
        CallOptions.DEFAULT, "x");
    assertThat(wireBudgetNanos()).isPositive().isLessThanOrEqualTo(800_000_000L);
  }

  @Test
  void aLongLivedMethodGetsTheCallersRemainingTimeNotTheTierCap() {
    FakeTicker ticker = new FakeTicker(); // the caller's 10 s do not run down while the call is made
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofSeconds(10)).open();
        Scope ignored = scope.makeCurrent()) {
      ClientCalls.blockingUnaryCall(intercepted(ClientConfig.builder(Tier.CACHE).longLivedMethod(HEADERS.getFullMethodName())),
          HEADERS, CallOptions.DEFAULT, "x");
    }
    assertThat(wireBudgetNanos()).as("10 s less the reserve, far above the cache tier's 800 ms")
        .isGreaterThan(800_000_000L).isLessThanOrEqualTo(9_795_000_000L);
  }

  @Test
  void hugeCalleeCapsAndMethodBudgetsSaturateInsteadOfOverflowing() {
    Tier endless = Tier.define("client-endless", 3, Duration.ofSeconds(Long.MAX_VALUE));
    ClientConfig.Builder config = ClientConfig.builder(endless).tierCapOutsideRequests(true)
        .methodCallees(m -> Callee.of(m, endless, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)));
    assertThat(ClientCalls.blockingUnaryCall(intercepted(config), HEADERS, CallOptions.DEFAULT, "x")).isEqualTo("ok");
    assertThat(wireBudgetNanos()).as("saturated at 100 years, not overflowed")
        .isGreaterThan(Duration.ofDays(36_000).toNanos()).isLessThanOrEqualTo(Duration.ofDays(36_500).toNanos());
  }

  /** Starts the hanging call inside a scope that the test cancels from outside. */
  static final class ClientCallsHolder {
    static CancellableCtx scope;

    @SuppressWarnings("MustBeClosedChecker") // kept open across the test, closed by the test that cancels it
    static com.google.common.util.concurrent.ListenableFuture<String> start() {
      scope = CancellableCtx.newRoot(Tier.SERVICE).open();
      try (Scope ignored = scope.makeCurrent()) {
        Channel target = intercepted(ClientConfig.builder(Tier.CACHE));
        return ClientCalls.futureUnaryCall(target.newCall(HANG, CallOptions.DEFAULT), "x");
      }
    }
  }
}
