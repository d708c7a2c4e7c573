package io.reqctx.resilience4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.BudgetPolicy;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.TestRpc;
import io.reqctx.internal.wire.ElapsedMicros;
import io.reqctx.resilience4j.TestTelemetry;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The adaptive reserve over real gRPC on 127.0.0.1: a trusted reqctx server reports its elapsed time in
 * the trailers, and a client with an adaptive reserve reserves each callee's observed transit once it
 * knows 20 calls. What the transit is depends on the machine; the test asserts only what holds on any.
 */
@ExtendWith(StrictLeakExtension.class)
class AdaptiveReserveLoopbackTest {
  static final Tier LEAF = Tier.define("adaptive-reserve-grpc-leaf", 145, Duration.ofSeconds(60));
  static final MethodDescriptor<String, String> GET = TestRpc.unary("test.Leaf/Get");
  static final Metadata.Key<String> ELAPSED = Metadata.Key.of("reqctx-elapsed-us", Metadata.ASCII_STRING_MARSHALLER);
  static final List<Object> resources = new ArrayList<>();
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    Server leaf = Loopback.serve(GET, LEAF, (request, headers) -> "ok");
    resources.add(leaf);
    channel = Loopback.channelTo(leaf);
    resources.add(0, channel);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    Loopback.shutdown(resources);
  }

  /** Records the reqctx-elapsed-us trailer of every call. */
  static ClientInterceptor trailers(List<String> seen) {
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
          CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                seen.add(String.valueOf(trailers.get(ELAPSED)));
                super.onClose(status, trailers);
              }
            }, headers);
          }
        };
      }
    };
  }

  @Test
  void theServerReportsItsElapsedTimeAndTheClientReservesTheObservedTransitWithinItsBounds() {
    TestTelemetry telemetry = new TestTelemetry();
    BudgetPolicy adaptive = BudgetPolicy.builder().adaptiveReserve(Duration.ofNanos(500_000), Duration.ofMillis(50)).build();
    List<String> elapsed = new CopyOnWriteArrayList<>();
    Channel client = ClientInterceptors.intercept(channel, trailers(elapsed), RequestCtxClientInterceptor.create(
        ClientConfig.builder(LEAF).trusted(true).policy(adaptive).openTelemetry(telemetry.openTelemetry).build()));
    for (int i = 0; i < 21; i++) {
      try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofSeconds(30)).open();
          Scope s = request.makeCurrent()) {
        assertThat(ClientCalls.blockingUnaryCall(client, GET, CallOptions.DEFAULT, "get-" + i)).isEqualTo("ok");
      }
    }
    assertThat(elapsed).hasSize(21).allSatisfy(value -> assertThat(ElapsedMicros.parseMicros(value)).isPresent());
    List<SpanData> spans = telemetry.spans.getFinishedSpanItems();
    assertThat(spans).hasSize(21);
    assertThat(spans.subList(0, 20)).allSatisfy(span ->
        assertThat(span.getAttributes().get(AttributeKey.stringKey("reqctx.reserve.source"))).isEqualTo("fixed"));
    SpanData learned = spans.get(20);
    assertThat(learned.getAttributes().get(AttributeKey.stringKey("reqctx.reserve.source"))).isEqualTo("adaptive");
    assertThat(learned.getAttributes().get(AttributeKey.doubleKey("reqctx.reserve_ms"))).isBetween(0.5, 50.0);
  }
}
