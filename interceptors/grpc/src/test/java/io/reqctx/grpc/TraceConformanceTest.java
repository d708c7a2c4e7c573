package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.Tier;
import io.reqctx.internal.wire.W3cVectors;
import io.reqctx.internal.wire.W3cVectors.HopCase;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.MDC;

/**
 * Every W3C Trace Context and Baggage rule ({@link W3cVectors#hopCases()}) sent as gRPC metadata to a
 * reqctx hop on a grpc-java Netty server, which calls the next hop through the reqctx client
 * interceptor: asserts what the next hop receives, with and without an OpenTelemetry SDK. One server
 * holds the hops and the next hop, which records the metadata it gets.
 */
@ExtendWith(StrictLeakExtension.class)
class TraceConformanceTest {
  static final MethodDescriptor<String, String> HOP_NO_SDK = TestRpc.unary("conformance.HopNoSdk/Forward");
  static final MethodDescriptor<String, String> HOP_SDK = TestRpc.unary("conformance.HopSdk/Forward");
  static final MethodDescriptor<String, String> NEXT = TestRpc.unary("conformance.Next/Record");
  static final Context.Key<String> RECEIVED = Context.key("received");

  /*
   * Tiers with caps far above any delay a loaded machine causes: the hops' budgets are on a FakeTicker
   * that never moves, but the next call's deadline is real.
   */
  static final Tier HOP_TIER = Tier.define("grpc-conformance-hop", 200, Duration.ofSeconds(60));
  static final Tier NEXT_TIER = Tier.define("grpc-conformance-next", 100, Duration.ofSeconds(30));
  static final FakeTicker ticker = new FakeTicker();
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk sdk = TestRpc.openTelemetry(spans);
  static Server server;
  static ManagedChannel channel;
  static Channel nextWithoutSdk;
  static Channel nextWithSdk;

  @BeforeAll
  static void start() throws IOException {
    ServerInterceptor recordHeaders = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(RECEIVED, Conformance.format(name -> {
          Iterable<String> values = headers.getAll(MetadataHeaders.key(name));
          List<String> list = new ArrayList<>();
          if (values != null) {
            values.forEach(list::add);
          }
          return list;
        })), call, headers, next);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(TestRpc.service(HOP_NO_SDK, request -> forward(nextWithoutSdk)),
            RequestCtxServerInterceptor.create(ServerConfig.builder(HOP_TIER, Trust.TRUSTED).openTelemetry(OpenTelemetry.noop()).ticker(ticker).build())))
        .addService(ServerInterceptors.intercept(TestRpc.service(HOP_SDK, request -> forward(nextWithSdk)),
            RequestCtxServerInterceptor.create(ServerConfig.builder(HOP_TIER, Trust.TRUSTED).openTelemetry(sdk).ticker(ticker).build())))
        .addService(ServerInterceptors.intercept(TestRpc.service(NEXT, request -> RECEIVED.get()), recordHeaders))
        .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
        .build()
        .start();
    channel = TestRpc.channelTo(server);
    nextWithoutSdk = ClientInterceptors.intercept(channel,
        RequestCtxClientInterceptor.create(ClientConfig.builder(NEXT_TIER).openTelemetry(OpenTelemetry.noop()).build()));
    nextWithSdk = ClientInterceptors.intercept(channel,
        RequestCtxClientInterceptor.create(ClientConfig.builder(NEXT_TIER).openTelemetry(sdk).build()));
    // Connections and classes ready before any case runs; the answers are not checked. The hops' budgets
    // are on a FakeTicker that never moves, but the next call's gRPC deadline is real, and a cold first
    // call on a loaded machine may outlast it.
    for (MethodDescriptor<String, String> hop : List.of(HOP_NO_SDK, HOP_SDK)) {
      try {
        ClientCalls.blockingUnaryCall(channel, hop, CallOptions.DEFAULT, "warm-up");
      } catch (RuntimeException ignored) {
        // only the warm-up
      }
    }
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(channel, server));
    sdk.close();
  }

  /** The hop: calls the next hop and answers what it received, and the hop's own MDC ids. */
  static String forward(Channel next) {
    String received = ClientCalls.blockingUnaryCall(next, NEXT, CallOptions.DEFAULT, "next");
    return received + Conformance.hopLines(MDC.get("trace_id"), MDC.get("span_id"));
  }

  static Stream<Arguments> cases() {
    List<Arguments> arguments = new ArrayList<>();
    for (HopCase hopCase : W3cVectors.hopCases()) {
      if (!hopCase.sendable() || hasTab(hopCase)) {
        // grpc-java's client drops a metadata value with a control character (a tab included) or
        // non-ASCII before it reaches the wire: the codec and Armeria tests cover those values
        continue;
      }
      arguments.add(Arguments.of(false, hopCase));
      arguments.add(Arguments.of(true, hopCase));
    }
    return arguments.stream();
  }

  static boolean hasTab(HopCase hopCase) {
    return Stream.of(hopCase.traceparent(), hopCase.tracestate(), hopCase.baggage())
        .flatMap(List::stream)
        .anyMatch(value -> value.indexOf('\t') >= 0);
  }

  @ParameterizedTest(name = "sdk={0}: {1}")
  @MethodSource("cases")
  void theNextHopReceivesWhatTheRulesSay(boolean withSdk, HopCase hopCase) {
    Metadata metadata = new Metadata();
    Map<String, List<String>> sent = new LinkedHashMap<>();
    sent.put("traceparent", hopCase.traceparent());
    sent.put("tracestate", hopCase.tracestate());
    sent.put("baggage", hopCase.baggage());
    sent.forEach((name, values) -> values.forEach(value -> metadata.put(MetadataHeaders.key(name), value)));
    Channel client = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(metadata));

    String answer = ClientCalls.blockingUnaryCall(client, withSdk ? HOP_SDK : HOP_NO_SDK, CallOptions.DEFAULT, "hi");

    Conformance.Received received = Conformance.parse(answer);
    Conformance.assertForwarded(hopCase, received, withSdk);
    if (withSdk && received.sampled()) {
      assertThat(spans.getFinishedSpanItems()).as("the parent-id is the id of the hop's (sampled, so exported) CLIENT span")
          .anySatisfy(span -> {
            assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(span.getSpanId()).isEqualTo(received.parentId());
          });
    }
  }
}
