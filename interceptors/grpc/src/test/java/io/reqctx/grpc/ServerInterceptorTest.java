package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ForwardingServerCallListener;
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
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.Callee;
import io.reqctx.RequestCtx;
import io.reqctx.CtxObserver;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The server interceptor's contract on one grpc-java Netty server. */
@ExtendWith(StrictLeakExtension.class)
class ServerInterceptorTest {
  static final MethodDescriptor<String, String> ECHO = TestRpc.unary("probe.Probe/Echo");
  static final MethodDescriptor<String, String> WAIT = TestRpc.unary("probe.Probe/Wait");

  /** callback name -> request id current in it, recorded by an interceptor inside reqctx's. */
  static final Map<String, Queue<String>> callbacks = new ConcurrentHashMap<>();
  static final Map<String, Long> grpcDeadlineMillis = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> waitCancelled = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> waitStarted = new ConcurrentHashMap<>();
  static final Queue<String> closedScopes = new ConcurrentLinkedQueue<>();
  static CtxObserver.Registration observer;
  static Server server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    observer = CtxObserver.register(new CtxObserver() {
      @Override
      public void onClose(CtxEnd end) {
        closedScopes.add(end.ctx().requestId());
      }
    });
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED)
        .methodBudgets(method -> method.equals(WAIT.getFullMethodName())
            ? Callee.of(method, Tier.SERVICE, Duration.ofMillis(200)) : null)
        .openTelemetry(TestRpc.openTelemetry(InMemorySpanExporter.create()))
        .build();
    var service = io.grpc.ServerServiceDefinition.builder("probe.Probe")
        .addMethod(TestRpc.service(ECHO, request -> {
          io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
          grpcDeadlineMillis.put(request, deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
          return RequestCtx.current().requestId();
        }).getMethod(ECHO.getFullMethodName()))
        .addMethod(TestRpc.service(WAIT, request -> {
          CountDownLatch cancelled = waitCancelled.computeIfAbsent(request, r -> new CountDownLatch(1));
          RequestCtx.current().onCancel(cause -> cancelled.countDown());
          waitStarted.computeIfAbsent(request, r -> new CountDownLatch(1)).countDown();
          cancelled.await(10, TimeUnit.SECONDS);
          return "done";
        }).getMethod(WAIT.getFullMethodName()))
        .build();
    server = TestRpc.start(service, new CallbackProbe(), RequestCtxServerInterceptor.create(config));
    channel = TestRpc.channelTo(server);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(channel, server));
    observer.close();
  }

  /** Runs inside reqctx's interceptor and records which ctx is current in each callback. */
  static final class CallbackProbe implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      record("startCall");
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
        @Override
        public void onMessage(ReqT message) {
          record("onMessage");
          super.onMessage(message);
        }

        @Override
        public void onHalfClose() {
          record("onHalfClose");
          super.onHalfClose();
        }

        @Override
        public void onReady() {
          record("onReady");
          super.onReady();
        }

        @Override
        public void onCancel() {
          record("onCancel");
          super.onCancel();
        }

        @Override
        public void onComplete() {
          record("onComplete");
          super.onComplete();
        }
      };
    }

    private static void record(String callback) {
      boolean grpcDeadline = io.grpc.Context.current().getDeadline() != null;
      callbacks.computeIfAbsent(callback, c -> new ConcurrentLinkedQueue<>())
          .add(RequestCtx.current().requestId() + (grpcDeadline ? "" : " (no grpc deadline)"));
    }
  }

  @Test
  void everyCallbackRunsWithTheCallsCtxAndTheScopeClosesOnce() {
    String requestId = ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, "callbacks");
    await().atMost(Duration.ofSeconds(5)).until(() -> closedScopes.contains(requestId));
    for (String callback : List.of("startCall", "onMessage", "onHalfClose", "onReady", "onComplete")) {
      assertThat(callbacks.get(callback)).as(callback).contains(requestId);
    }
    assertThat(closedScopes.stream().filter(requestId::equals)).hasSize(1);
  }

  @Test
  void handlerSeesAGrpcDeadlineEvenWhenTheClientSentNone() {
    ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, "no-client-deadline");
    assertThat(grpcDeadlineMillis.get("no-client-deadline")).as("the tier's 3 s, less the time the call took to get here")
        .isPositive().isLessThanOrEqualTo(3_000L);
  }

  @Test
  void methodBudgetEndsTheCallWithDeadlineExceededAndCancelsTheHandler() throws InterruptedException {
    long started = System.nanoTime();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, WAIT, CallOptions.DEFAULT, "budget"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.getStatus().getDescription()).startsWith("reqctx: deadline exceeded").doesNotContain("\n");
        });
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).as("not before the 200 ms budget")
        .isGreaterThanOrEqualTo(150L);
    // The caller may see the status before the handler's cancellation listener has run: wait for it.
    assertThat(waitCancelled.get("budget").await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void clientCancelRunsOnCancelWithTheCtxAndCancelsTheScope() throws InterruptedException {
    var future = ClientCalls.futureUnaryCall(channel.newCall(WAIT, CallOptions.DEFAULT), "cancel");
    assertThat(waitStarted.computeIfAbsent("cancel", r -> new CountDownLatch(1)).await(5, TimeUnit.SECONDS)).isTrue();
    future.cancel(true);
    assertThat(waitCancelled.get("cancel").await(5, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> callbacks.containsKey("onCancel"));
    assertThat(callbacks.get("onCancel")).allSatisfy(id -> assertThat(id).matches("[0-9a-f]{32}"));
  }
}
