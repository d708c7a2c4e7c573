package io.reqctx.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.TestRpc;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.MDC;

/**
 * One trace across HTTP → gRPC → HTTP, with and without an OpenTelemetry SDK: a gateway behind
 * {@link RequestCtxService} calls a gRPC service hosted by Armeria ({@link RequestCtxGrpcService})
 * through {@link RequestCtxClientInterceptor}, which calls an HTTP leaf twice through {@link
 * RequestCtxClient}. Every hop records the {@code traceparent} and {@code tracestate} it received and
 * its MDC ids. All hops are on one Armeria server on 127.0.0.1; their budgets are on a {@link
 * FakeTicker}.
 */
@ExtendWith(StrictLeakExtension.class)
class TraceChainTest {
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String CALLER_PARENT_ID = "00f067aa0ba902b7";
  /** A Level 2 key OpenTelemetry's TraceState cannot hold, and a vendor's entry. */
  static final String TRACESTATE = "foo@bar@baz=1,rojo=00f067aa0ba902b7";
  static final MethodDescriptor<String, String> SERVICE_NO_SDK = TestRpc.unary("chain.NoSdk/Call");
  static final MethodDescriptor<String, String> SERVICE_SDK = TestRpc.unary("chain.Sdk/Call");

  /** What one hop received and logged. */
  record Hop(String name, List<String> traceparent, List<String> tracestate, String mdcTraceId, String mdcSpanId) {
    String[] fields() {
      assertThat(traceparent).as(name + " receives one traceparent").hasSize(1);
      return traceparent.get(0).split("-");
    }

    String traceId() {
      return fields()[1];
    }

    String parentId() {
      return fields()[2];
    }

    String flags() {
      return fields()[3];
    }
  }

  /*
   * Tiers with caps far above any delay a loaded machine causes: the hops' budgets are on a FakeTicker,
   * but the transports' own timers (the gRPC call's deadline, the WebClient's response timeout) are real.
   */
  static final Tier EDGE_TIER = Tier.define("trace-chain-gateway", 300, Duration.ofSeconds(90));
  static final Tier SERVICE_TIER = Tier.define("trace-chain-service", 200, Duration.ofSeconds(60));
  static final Tier LEAF_TIER = Tier.define("trace-chain-leaf", 100, Duration.ofSeconds(30));
  static final FakeTicker ticker = new FakeTicker();
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk sdk = TestRpc.openTelemetry(spans);
  static final List<Hop> hops = new CopyOnWriteArrayList<>();
  static ManagedChannel channel;
  static Channel toServiceNoSdk;
  static Channel toServiceSdk;
  static WebClient toLeafNoSdk;
  static WebClient toLeafSdk;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      for (boolean withSdk : List.of(false, true)) {
        String mode = withSdk ? "sdk" : "no-sdk";
        sb.service("/gateway/" + mode,
            gateway(withSdk).decorate(RequestCtxService.newDecorator(serverConfig(EDGE_TIER, withSdk))));
        sb.service(RequestCtxGrpcService.configure(
                GrpcService.builder()
                    .addService(TestRpc.service(withSdk ? SERVICE_SDK : SERVICE_NO_SDK, request -> service(withSdk)))
                    .useBlockingTaskExecutor(true),
                serverConfig(SERVICE_TIER, withSdk))
            .build());
        sb.service("/leaf/" + mode, leaf().decorate(RequestCtxService.newDecorator(serverConfig(LEAF_TIER, withSdk))));
      }
    }
  };

  static ServerConfig serverConfig(Tier tier, boolean withSdk) {
    return ServerConfig.builder(tier, Trust.TRUSTED).openTelemetry(openTelemetry(withSdk)).ticker(ticker).build();
  }

  static OpenTelemetry openTelemetry(boolean withSdk) {
    return withSdk ? sdk : OpenTelemetry.noop();
  }

  @BeforeAll
  static void connect() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.httpPort()).usePlaintext().build();
    toServiceNoSdk = ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(
        ClientConfig.builder(SERVICE_TIER).openTelemetry(openTelemetry(false)).build()));
    toServiceSdk = ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(
        ClientConfig.builder(SERVICE_TIER).openTelemetry(openTelemetry(true)).build()));
    toLeafNoSdk = leafClient(false);
    toLeafSdk = leafClient(true);
    // Connections and classes ready before any test runs; the answers are not checked.
    for (String mode : List.of("no-sdk", "sdk")) {
      TestSupport.outsideClient(server.httpPort()).get("/gateway/" + mode).aggregate()
          .handle((answer, failure) -> null).join();
    }
  }

  static WebClient leafClient(boolean withSdk) {
    return WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(LEAF_TIER).openTelemetry(openTelemetry(withSdk)).build()))
        .build();
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    sdk.close();
  }

  @BeforeEach
  void clear() {
    hops.clear();
    spans.reset();
  }

  /** The gateway: calls the gRPC service from a blocking task, where the ctx is current. */
  static HttpService gateway(boolean withSdk) {
    return (ctx, req) -> {
      record("gateway", req.headers());
      return HttpResponse.of(CompletableFuture.supplyAsync(() -> HttpResponse.of(ClientCalls.blockingUnaryCall(
          withSdk ? toServiceSdk : toServiceNoSdk, withSdk ? SERVICE_SDK : SERVICE_NO_SDK, CallOptions.DEFAULT, "call")),
          ctx.blockingTaskExecutor()));
    };
  }

  /** The gRPC service: calls the leaf twice, one call after the other. */
  static String service(boolean withSdk) {
    record("service", ServiceRequestContext.current().request().headers());
    WebClient leaf = withSdk ? toLeafSdk : toLeafNoSdk;
    String path = withSdk ? "/leaf/sdk" : "/leaf/no-sdk";
    AggregatedHttpResponse first = leaf.get(path).aggregate().join();
    AggregatedHttpResponse second = leaf.get(path).aggregate().join();
    return first.contentUtf8() + second.contentUtf8();
  }

  static HttpService leaf() {
    return (ctx, req) -> {
      record("leaf", req.headers());
      return HttpResponse.of("ok");
    };
  }

  static void record(String name, RequestHeaders headers) {
    hops.add(new Hop(name, headers.getAll("traceparent"), headers.getAll("tracestate"),
        String.valueOf(MDC.get("trace_id")), String.valueOf(MDC.get("span_id"))));
  }

  static List<Hop> callGateway(boolean withSdk, @Nullable String traceparent) {
    RequestHeadersBuilder headers = RequestHeaders.builder(HttpMethod.GET, withSdk ? "/gateway/sdk" : "/gateway/no-sdk");
    if (traceparent != null) {
      headers.add("traceparent", traceparent).add("tracestate", TRACESTATE);
    }
    AggregatedHttpResponse answer = TestSupport.outsideClient(server.httpPort()).execute(headers.build()).aggregate().join();
    assertThat(answer.status()).as(answer.contentUtf8()).isEqualTo(HttpStatus.OK);
    assertThat(hops).extracting(Hop::name).containsExactly("gateway", "service", "leaf", "leaf");
    return List.copyOf(hops);
  }

  @ParameterizedTest(name = "sdk={0}")
  @ValueSource(booleans = {false, true})
  void oneTraceIdAtEveryHopWithAFreshParentIdPerCallAndFlagsAndTracestateKept(boolean withSdk) {
    List<Hop> chain = callGateway(withSdk, "00-" + TRACE_ID + "-" + CALLER_PARENT_ID + "-03");

    assertThat(chain.get(0).parentId()).isEqualTo(CALLER_PARENT_ID);
    for (Hop hop : chain) {
      assertThat(hop.traceId()).as(hop.name() + ": one trace id").isEqualTo(TRACE_ID);
      assertThat(hop.flags()).as(hop.name() + ": sampled and random kept").isEqualTo("03");
      assertThat(hop.tracestate()).as(hop.name() + ": tracestate kept, Level 2 key included").containsExactly(TRACESTATE);
      assertThat(hop.mdcTraceId()).as(hop.name() + ": MDC trace id = wire trace id").isEqualTo(TRACE_ID);
    }
    assertThat(new HashSet<>(chain.stream().map(Hop::parentId).toList()))
        .as("a distinct parent-id per call: the caller's, the gateway's call, the service's two calls")
        .hasSize(4);
    assertMdcSpanIdsMatchTheWire(chain, withSdk);
  }

  @ParameterizedTest(name = "sdk={0}")
  @ValueSource(booleans = {false, true})
  void withoutAnInboundTraceTheGatewayStartsOneThatEveryHopShares(boolean withSdk) {
    List<Hop> chain = callGateway(withSdk, null);

    assertThat(chain.get(0).traceparent()).isEmpty();
    String traceId = chain.get(0).mdcTraceId();
    assertThat(traceId).as("the gateway logs the trace it starts").matches("[0-9a-f]{32}");
    List<Hop> downstream = chain.subList(1, chain.size());
    String flags = withSdk ? serverSpan(chain.get(0)).getSpanContext().getTraceFlags().asHex() : "02";
    for (Hop hop : downstream) {
      assertThat(hop.traceId()).as(hop.name()).isEqualTo(traceId);
      assertThat(hop.mdcTraceId()).as(hop.name()).isEqualTo(traceId);
      assertThat(hop.flags()).as(hop.name() + (withSdk ? ": the flags of the gateway's SERVER span" : ": random, not sampled"))
          .isEqualTo(flags);
      assertThat(hop.tracestate()).as(hop.name()).isEmpty();
    }
    assertThat(new HashSet<>(downstream.stream().map(Hop::parentId).toList())).hasSize(3);
    assertMdcSpanIdsMatchTheWire(downstream, withSdk);
  }

  /** The SERVER span the SDK made for {@code hop}: the one whose id the hop logged. */
  static SpanData serverSpan(Hop hop) {
    return await().atMost(Duration.ofSeconds(30)).until(
        () -> spans.getFinishedSpanItems().stream()
            .filter(span -> span.getKind() == SpanKind.SERVER && span.getSpanId().equals(hop.mdcSpanId()))
            .findFirst(),
        java.util.Optional::isPresent).orElseThrow();
  }

  /**
   * Without an SDK a hop's span id is the parent-id its caller sent (the id of that call); with one it
   * is the hop's SERVER span, a child of the CLIENT span whose id its caller sent.
   */
  static void assertMdcSpanIdsMatchTheWire(List<Hop> chain, boolean withSdk) {
    if (!withSdk) {
      for (Hop hop : chain) {
        assertThat(hop.mdcSpanId()).as(hop.name() + ": MDC span id = the parent-id received").isEqualTo(hop.parentId());
      }
      return;
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<SpanData> finished = spans.getFinishedSpanItems();
      for (Hop hop : chain) {
        assertThat(finished).as(hop.name() + ": the MDC span id is the hop's SERVER span, child of the id on the wire")
            .anySatisfy(span -> {
              assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
              assertThat(span.getSpanId()).isEqualTo(hop.mdcSpanId());
              assertThat(span.getParentSpanId()).isEqualTo(hop.parentId());
            });
        if (!hop.parentId().equals(CALLER_PARENT_ID)) {
          assertThat(finished).as(hop.name() + ": the parent-id received is its caller's CLIENT span")
              .anySatisfy(span -> {
                assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
                assertThat(span.getSpanId()).isEqualTo(hop.parentId());
              });
        }
      }
    });
  }
}
