package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.CtxObserver;
import io.reqctx.Outcome;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A handler that throws in {@code startCall} (before any listener exists): grpc-java closes the call
 * itself, and the scope must still end once, as an error. The throws in later callbacks are covered,
 * for every call shape, by {@link CallShapesContract}.
 */
@ExtendWith(StrictLeakExtension.class)
class StartCallFailureTest {
  static final MethodDescriptor<String, String> BOOM = TestRpc.unary("boom.Boom/Start");
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final Queue<CtxObserver.CtxEnd> ends = new ConcurrentLinkedQueue<>();
  static CtxObserver.Registration observer;
  static Server server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    observer = CtxObserver.register(new CtxObserver() {
      @Override
      public void onClose(CtxEnd end) {
        ends.add(end);
      }
    });
    ServerServiceDefinition service = ServerServiceDefinition.builder("boom.Boom")
        .addMethod(BOOM, (call, headers) -> {
          throw new IllegalStateException("a bug in startCall");
        })
        .build();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(TestRpc.openTelemetry(spans)).build();
    server = TestRpc.start(service, RequestCtxServerInterceptor.create(config));
    channel = TestRpc.channelTo(server);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(channel, server));
    observer.close();
  }

  @Test
  void handlerThrowingInStartCallEndsTheScopeOnceAsAnError() {
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, BOOM, CallOptions.DEFAULT, "x"))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN));

    await().atMost(Duration.ofSeconds(10)).until(() -> !spans.getFinishedSpanItems().isEmpty());
    assertThat(spans.getFinishedSpanItems()).singleElement().satisfies(span -> {
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(span.getAttributes().asMap().toString()).contains("reqctx.outcome=error");
    });
    String requestId = ends.stream().filter(end -> end.ctx().tier() == Tier.SERVICE).findFirst().orElseThrow()
        .ctx().requestId();
    assertThat(ends).filteredOn(end -> end.ctx().requestId().equals(requestId)).singleElement()
        .satisfies(end -> assertThat(end.outcome()).isEqualTo(Outcome.ERROR));
  }
}
