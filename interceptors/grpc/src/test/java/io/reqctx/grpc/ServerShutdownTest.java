package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.CtxObserver;
import io.reqctx.Outcome;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A server shut down under a running stream ends the stream's scope once, as cancelled. */
@ExtendWith(StrictLeakExtension.class)
class ServerShutdownTest {
  static final MethodDescriptor<String, String> WATCH =
      TestRpc.method("shutdown.Shutdown/Watch", MethodDescriptor.MethodType.SERVER_STREAMING);

  @Test
  void shutdownNowEndsARunningStreamsScopeOnceAsCancelled() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    Queue<CtxObserver.CtxEnd> ends = new ConcurrentLinkedQueue<>();
    AtomicReference<String> requestId = new AtomicReference<>();
    CountDownLatch streaming = new CountDownLatch(1);
    ServerServiceDefinition service = ServerServiceDefinition.builder("shutdown.Shutdown")
        .addMethod(WATCH, ServerCalls.asyncServerStreamingCall((String request, StreamObserver<String> out) -> {
          requestId.set(RequestCtx.current().requestId());
          out.onNext("first");
          streaming.countDown(); // then keeps the stream open, as a watch does
        }))
        .build();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).longLivedMethod(WATCH.getFullMethodName())
        .openTelemetry(TestRpc.openTelemetry(spans)).build();
    Server server = TestRpc.start(service, RequestCtxServerInterceptor.create(config));
    ManagedChannel channel = TestRpc.channelTo(server);
    try (CtxObserver.Registration r = CtxObserver.register(new CtxObserver() {
      @Override
      public void onClose(CtxEnd end) {
        ends.add(end);
      }
    })) {
      CompletableFuture<Status> closed = new CompletableFuture<>();
      ClientCalls.asyncServerStreamingCall(channel.newCall(WATCH, CallOptions.DEFAULT), "watch", new StreamObserver<>() {
        @Override
        public void onNext(String value) {}

        @Override
        public void onError(Throwable t) {
          closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
          closed.complete(Status.OK);
        }
      });
      assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();

      server.shutdownNow();

      // Whatever grpc-java tells the client (its reset reads as CANCELLED or UNAVAILABLE), the call ended.
      assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isIn(Status.Code.CANCELLED, Status.Code.UNAVAILABLE);
      await().atMost(Duration.ofSeconds(10)).until(() -> ends.stream().anyMatch(e -> e.ctx().requestId().equals(requestId.get())));
      assertThat(ends).filteredOn(e -> e.ctx().requestId().equals(requestId.get())).singleElement()
          .satisfies(end -> assertThat(end.outcome()).isEqualTo(Outcome.CANCELLED));
      await().atMost(Duration.ofSeconds(10)).until(() -> !spans.getFinishedSpanItems().isEmpty());
      assertThat(spans.getFinishedSpanItems()).singleElement()
          .satisfies(span -> assertThat(span.getAttributes().asMap().toString()).contains("reqctx.outcome=cancelled"));
    } finally {
      TestRpc.shutdown(List.of(channel, server));
    }
  }
}
