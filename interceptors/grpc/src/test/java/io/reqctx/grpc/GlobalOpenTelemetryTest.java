package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Configs built without {@code .openTelemetry(...)} use the global OpenTelemetry as it is when each call
 * is made: building them does not freeze the global to a no-op, and once the application sets it, real
 * calls carry the spans' ids in {@code traceparent}; before, they carry a trace reqctx starts.
 */
@ExtendWith(StrictLeakExtension.class)
class GlobalOpenTelemetryTest {
  static final MethodDescriptor<String, String> METHOD = TestRpc.unary("global.Service/Call");
  static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

  final AtomicReference<String> receivedTraceparent = new AtomicReference<>();
  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  Server server;
  ManagedChannel channel;

  @BeforeEach
  void resetGlobal() {
    GlobalOpenTelemetry.resetForTest();
  }

  @AfterEach
  void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(channel, server));
    GlobalOpenTelemetry.resetForTest();
  }

  @Test
  void configsBuiltBeforeTheGlobalIsSetPropagateTheTraceOnceItIs() {
    ServerConfig serverConfig = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).build();
    ClientConfig clientConfig = ClientConfig.builder(Tier.SERVICE).trusted(true).build();
    Channel client = start(serverConfig, clientConfig);

    OpenTelemetrySdk sdk = TestRpc.openTelemetry(spans);
    GlobalOpenTelemetry.set(sdk); // throws when building a config froze the global to a no-op

    try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofSeconds(5)).open();
        Scope ignored = request.makeCurrent()) {
      assertThat(ClientCalls.blockingUnaryCall(client, METHOD, CallOptions.DEFAULT, "hi")).isEqualTo("hi");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().size() >= 2);
    SpanData clientSpan = spans.getFinishedSpanItems().stream()
        .filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    assertThat(receivedTraceparent.get())
        .isEqualTo("00-" + clientSpan.getTraceId() + "-" + clientSpan.getSpanId() + "-"
            + clientSpan.getSpanContext().getTraceFlags().asHex());
    sdk.close();
  }

  @Test
  void callsMadeBeforeTheGlobalIsSetCarryReqctxsOwnTraceAndLeaveItSettable() {
    Channel client = start(
        ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).build(), ClientConfig.builder(Tier.SERVICE).build());
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofSeconds(5)).open();
        Scope ignored = request.makeCurrent()) {
      assertThat(ClientCalls.blockingUnaryCall(client, METHOD, CallOptions.DEFAULT, "hi")).isEqualTo("hi");
    }
    assertThat(receivedTraceparent.get()).as("no SDK yet: reqctx starts the trace (random, not sampled)")
        .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-02");
    assertThat(spans.getFinishedSpanItems()).isEmpty();

    OpenTelemetrySdk sdk = TestRpc.openTelemetry(spans);
    GlobalOpenTelemetry.set(sdk);
    assertThat(GlobalOpenTelemetry.isSet()).isTrue();
    sdk.close();
  }

  private Channel start(ServerConfig serverConfig, ClientConfig clientConfig) {
    ServerInterceptor recordTraceparent = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        receivedTraceparent.set(headers.get(TRACEPARENT));
        return next.startCall(call, headers);
      }
    };
    // The last interceptor runs first: the recorder sees the headers as they arrived.
    server = TestRpc.start(TestRpc.service(METHOD, request -> request),
        RequestCtxServerInterceptor.create(serverConfig), recordTraceparent);
    channel = TestRpc.channelTo(server);
    return ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(clientConfig));
  }
}
