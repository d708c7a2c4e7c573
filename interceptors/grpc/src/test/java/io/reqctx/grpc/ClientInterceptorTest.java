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
  static final OpenTelemetry otel = TestRpc.openTelemetry(InMemorySpanExporter.create());

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
    assertThat(io.reqctx.internal.wire.GrpcTimeout.parseNanos(header("grpc-timeout")).getAsLong())
        .isBetween(700_000_000L, 800_000_000L);
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
    ClientConfig.Builder config = ClientConfig.builder(Tier.SERVICE)
        .methodCallees(m -> Callee.of(m, Tier.CACHE, Duration.ofMillis(300)));
    ClientCalls.blockingUnaryCall(intercepted(config), HEADERS, CallOptions.DEFAULT, "x");
    assertThat(io.reqctx.internal.wire.GrpcTimeout.parseNanos(header("grpc-timeout")).getAsLong()).isBetween(250_000_000L, 300_000_000L);
    ClientCalls.blockingUnaryCall(intercepted(config), HEADERS, CallOptions.DEFAULT.withDeadlineAfter(100, TimeUnit.MILLISECONDS), "x");
    assertThat(io.reqctx.internal.wire.GrpcTimeout.parseNanos(header("grpc-timeout")).getAsLong()).isBetween(50_000_000L, 100_000_000L);
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
