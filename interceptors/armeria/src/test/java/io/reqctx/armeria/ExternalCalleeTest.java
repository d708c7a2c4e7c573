package io.reqctx.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
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
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.TestRpc;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.Egress;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A callee outside the fleet ({@link Egress#EXTERNAL_W3C}, {@link Egress#EXTERNAL_NONE}) through the
 * Armeria client decorator and the grpc-java client interceptor: a reqctx hop that received every
 * reqctx header (request id, hop, typed keys, a sensitive one included) and the W3C headers calls a
 * partner that is not a reqctx service and records what it gets. The application also copies
 * internal headers onto its own request; none of them may leave. The hop's budget still bounds the
 * call: a partner that never answers ends it locally.
 */
@ExtendWith(StrictLeakExtension.class)
class ExternalCalleeTest {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  static final CtxKey<String> SECRET = CtxKey.propagated("secret", KeyCodec.string()).sensitive().build();
  static final MethodDescriptor<String, String> PARTNER_GRPC = TestRpc.unary("partner.Api/Get");
  static final MethodDescriptor<String, String> PARTNER_GRPC_HANG = TestRpc.unary("partner.Slow/Hang");
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

  /** A partner's tier with a cap far above any delay a loaded machine causes (the transports' timers are real). */
  static final Tier PARTNER = Tier.define("external-partner", 100, Duration.ofSeconds(30));
  static final FakeTicker ticker = new FakeTicker();
  static ManagedChannel channel;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      sb.service("/hop", hop().decorate(RequestCtxService.newDecorator(
          ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).acceptedKeys(TENANT, SECRET)
              .openTelemetry(OpenTelemetry.noop()).ticker(ticker).build())));
      // The partner: no reqctx at all; it answers the headers it received, one "name: value" per line.
      sb.service("/partner", (ctx, req) -> HttpResponse.of(describe(req.headers())));
      sb.service("/partner/hang", (ctx, req) -> HttpResponse.of(new CompletableFuture<HttpResponse>()));
      sb.service(GrpcService.builder()
          .addService(TestRpc.service(PARTNER_GRPC, request -> describe(ServiceRequestContext.current().request().headers())))
          .addService(TestRpc.service(PARTNER_GRPC_HANG, request -> hangUntilCancelled()))
          .useBlockingTaskExecutor(true)
          .build());
    }
  };

  @BeforeAll
  static void connect() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.httpPort()).usePlaintext().build();
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static String describe(RequestHeaders headers) {
    Map<String, String> sorted = new TreeMap<>();
    headers.forEach((name, value) -> sorted.merge(name.toString(), value, (a, b) -> a + "|" + b));
    return sorted.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("\n"));
  }

  static String hangUntilCancelled() {
    CountDownLatch cancelled = new CountDownLatch(1);
    io.grpc.Context.current().addListener(context -> cancelled.countDown(), Runnable::run);
    try {
      cancelled.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw Status.CANCELLED.asRuntimeException();
  }

  /**
   * The hop: calls the partner as the query says ({@code via=http|grpc}, {@code egress=...}, {@code
   * hang}), with internal headers copied onto its own request, and answers what the partner received
   * or how the call failed.
   */
  static HttpService hop() {
    return (ctx, req) -> HttpResponse.of(CompletableFuture.supplyAsync(() -> {
      Egress egress = Egress.valueOf(ctx.queryParam("egress"));
      boolean hang = ctx.queryParam("hang") != null;
      // A partner that never answers is called with the 800 ms cap of Tier.CACHE, which ends the call.
      ClientConfig config = ClientConfig.builder(hang ? Tier.CACHE : PARTNER).egress(egress).openTelemetry(OpenTelemetry.noop()).build();
      assertThat(RequestCtx.current().get(SECRET)).as("the hop holds a sensitive key").isEqualTo("s3cr3t");
      try {
        if ("grpc".equals(ctx.queryParam("via"))) {
          Metadata copied = new Metadata();
          copied.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), "copied-id");
          copied.put(Metadata.Key.of("reqctx-tier", Metadata.ASCII_STRING_MARSHALLER), "gateway");
          copied.put(Metadata.Key.of("reqctx-key-secret", Metadata.ASCII_STRING_MARSHALLER), "copied");
          Channel partner = ClientInterceptors.intercept(channel,
              RequestCtxClientInterceptor.create(config), MetadataUtils.newAttachHeadersInterceptor(copied));
          return HttpResponse.of(ClientCalls.blockingUnaryCall(partner, hang ? PARTNER_GRPC_HANG : PARTNER_GRPC,
              CallOptions.DEFAULT, "get"));
        }
        WebClient partner = WebClient.builder("http://127.0.0.1:" + server.httpPort())
            .decorator(RequestCtxClient.newDecorator(config)).build();
        RequestHeaders copied = RequestHeaders.builder(HttpMethod.GET, hang ? "/partner/hang" : "/partner")
            .add("x-request-id", "copied-id").add("reqctx-tier", "gateway").add("reqctx-key-secret", "copied")
            .add("reqctx-budget-ms", "99999").build();
        return HttpResponse.of(partner.execute(copied).aggregate().join().contentUtf8());
      } catch (RuntimeException e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
        return HttpResponse.of(HttpStatus.BAD_GATEWAY, com.linecorp.armeria.common.MediaType.PLAIN_TEXT_UTF_8,
            cause.getClass().getSimpleName() + ": " + cause.getMessage());
      }
    }, ctx.blockingTaskExecutor()));
  }

  static AggregatedHttpResponse callHop(String query) {
    RequestHeaders request = RequestHeaders.builder(HttpMethod.GET, "/hop?" + query)
        .add("x-request-id", "req-42")
        .add("reqctx-hop", "3")
        .add("reqctx-tier", "gateway")
        .add("reqctx-key-tenant", "acme")
        .add("reqctx-key-secret", "s3cr3t")
        .add("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
        .add("tracestate", "rojo=00f067aa0ba902b7")
        .add("baggage", "userId=alice")
        .build();
    return TestSupport.outsideClient(server.httpPort()).execute(request).aggregate().join();
  }

  @ParameterizedTest(name = "via {0}")
  @CsvSource({"http", "grpc"})
  void anExternalW3cCalleeGetsOnlyTheTraceHeaders(String via) {
    AggregatedHttpResponse answer = callHop("via=" + via + "&egress=EXTERNAL_W3C");

    assertThat(answer.status()).as(answer.contentUtf8()).isEqualTo(HttpStatus.OK);
    String received = answer.contentUtf8();
    assertNothingInternal(received);
    assertThat(received).containsPattern("(?m)^traceparent: 00-" + TRACE_ID + "-[0-9a-f]{16}-01$")
        .contains("tracestate: rojo=00f067aa0ba902b7")
        .contains("baggage: userId=alice");
  }

  @ParameterizedTest(name = "via {0}")
  @CsvSource({"http", "grpc"})
  void anExternalCalleeToldNothingGetsNoReqctxNorTraceHeader(String via) {
    AggregatedHttpResponse answer = callHop("via=" + via + "&egress=EXTERNAL_NONE");

    assertThat(answer.status()).as(answer.contentUtf8()).isEqualTo(HttpStatus.OK);
    String received = answer.contentUtf8();
    assertNothingInternal(received);
    assertThat(received).doesNotContain("traceparent").doesNotContain("tracestate").doesNotContain("baggage");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Egress.class, names = {"EXTERNAL_W3C", "EXTERNAL_NONE"})
  void theBudgetStillBoundsACallToAPartnerThatNeverAnswers(Egress egress) {
    AggregatedHttpResponse overHttp = callHop("via=http&hang&egress=" + egress);
    assertThat(overHttp.status()).isEqualTo(HttpStatus.BAD_GATEWAY);
    assertThat(overHttp.contentUtf8()).startsWith(ResponseTimeoutException.class.getSimpleName());

    AggregatedHttpResponse overGrpc = callHop("via=grpc&hang&egress=" + egress);
    assertThat(overGrpc.status()).isEqualTo(HttpStatus.BAD_GATEWAY);
    assertThat(overGrpc.contentUtf8()).startsWith(StatusRuntimeException.class.getSimpleName() + ": DEADLINE_EXCEEDED");
  }

  @org.junit.jupiter.api.Test
  void aFleetCalleeStillGetsEverything() {
    AggregatedHttpResponse answer = callHop("via=http&egress=FLEET");

    assertThat(answer.contentUtf8()).contains("x-request-id: req-42", "reqctx-hop: 4", "reqctx-tier: service",
        "reqctx-key-tenant: acme", "reqctx-budget-ms: ", "traceparent: 00-" + TRACE_ID)
        .as("a sensitive key only to a callee configured as trusted").doesNotContain("reqctx-key-secret");
  }

  static void assertNothingInternal(String received) {
    assertThat(received.lines().map(line -> line.substring(0, line.indexOf(':'))))
        .as("headers the partner received:\n" + received)
        .isNotEmpty()
        .noneMatch(name -> name.startsWith("reqctx-"))
        .doesNotContain("x-request-id");
    assertThat(received).doesNotContain("acme").doesNotContain("s3cr3t").doesNotContain("copied").doesNotContain("req-42");
  }
}
