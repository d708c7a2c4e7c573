package io.reqctx.armeria;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import io.reqctx.internal.wire.RequestId;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A public gateway (EDGE) that forwards every header it receives to an internal hop (TRUSTED) on a
 * real Armeria server: hostile input gets a normal answer under the gateway's own rules, and nothing
 * forged reaches the next hop or comes back in the response.
 */
@ExtendWith(StrictLeakExtension.class)
class EdgeModeTest {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).maxEncodedLength(64).build();
  static final CtxKey<String> AUTH_SUBJECT = CtxKey.propagated("auth-subject", KeyCodec.string()).sensitive().build();
  static final String KIB_64 = "a".repeat(64 * 1024);

  /** What a hop saw: its ctx and, for the internal hop, the raw reqctx headers that arrived. */
  record Seen(long remainingMillis, int hop, int attempt, String requestId, String tenant, String authSubject,
      String callerTier, RequestHeaders raw) {}

  static final Map<String, Seen> seen = new ConcurrentHashMap<>();
  static final Map<String, RequestHeaders> peeked = new ConcurrentHashMap<>();
  static volatile WebClient toInternal;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      // The gateway's own rules: header blocks up to 256 KiB are accepted (Armeria's default, 8 KiB,
      // would answer 431 itself); reqctx then bounds each header it reads.
      sb.http1MaxHeaderSize(256 * 1024).http2MaxHeaderListSize(256 * 1024);
      ServerConfig edge = ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).acceptedKeys(TENANT, AUTH_SUBJECT).build();
      ServerConfig internal = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).acceptedKeys(TENANT, AUTH_SUBJECT).build();
      sb.service("/edge", gateway().decorate(RequestCtxService.newDecorator(edge)));
      sb.service("/internal", internal().decorate(RequestCtxService.newDecorator(internal)));
      sb.service("/peek", ((HttpService) (ctx, req) -> {
        peeked.put("ctx.request", ctx.request().headers());
        return HttpResponse.of("ok");
      }).decorate(RequestCtxService.newDecorator(edge)));
      // An operator's shorter timeout on a route that never answers by itself.
      sb.route().path("/limited").requestTimeoutMillis(300)
          .build(((HttpService) (ctx, req) -> HttpResponse.of(new java.util.concurrent.CompletableFuture<HttpResponse>()))
              .decorate(RequestCtxService.newDecorator(edge)));
    }
  };

  @BeforeAll
  static void connect() {
    toInternal = WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(Tier.SERVICE).trusted(true).build()))
        .build();
  }

  /** A careless gateway: forwards every request header it was given, and leaks internal headers back. */
  static HttpService gateway() {
    return (ctx, req) -> {
      record("edge/" + ctx.queryParam("tag"), req.headers());
      ctx.addAdditionalResponseHeader("reqctx-internal-debug", "from-context");
      RequestHeaders forwarded = req.headers().toBuilder().path("/internal?tag=" + ctx.queryParam("tag")).build();
      return toInternal.execute(forwarded)
          .mapHeaders(headers -> headers.toBuilder().add("reqctx-tier", "service").build());
    };
  }

  static HttpService internal() {
    return (ctx, req) -> {
      record("internal/" + ctx.queryParam("tag"), req.headers());
      return HttpResponse.of(ResponseHeaders.of(HttpStatus.OK, "reqctx-hop", "3"), com.linecorp.armeria.common.HttpData.ofUtf8("ok"));
    };
  }

  static void record(String key, RequestHeaders raw) {
    RequestCtx ctx = RequestCtx.current();
    seen.put(key, new Seen(ctx.remainingBudget().orElseThrow().toMillis(), ctx.hopCount(), ctx.inboundAttempt(),
        ctx.requestId(), ctx.get(TENANT), ctx.get(AUTH_SUBJECT), raw.get("reqctx-tier"), raw));
  }

  static AggregatedHttpResponse call(String path, String... headers) {
    RequestHeaders request = RequestHeaders.builder(HttpMethod.GET, path).add(ChainEndToEndTest.pairs(headers)).build();
    return TestSupport.outsideClient(server.httpPort()).execute(request).aggregate().join();
  }

  @Test
  void hostileClientGetsANormalAnswerAndNothingForgedReachesTheNextHop() {
    AggregatedHttpResponse response = call("/edge?tag=hostile",
        "reqctx-budget-ms", "3600000",
        "grpc-timeout", "1H",
        "x-envoy-expected-rq-timeout-ms", "3600000",
        "reqctx-tier", "cache",
        "reqctx-hop", "10000",
        "reqctx-attempt", "7",
        "reqctx-key-auth-subject", "root",
        "reqctx-key-tenant", KIB_64,
        "reqctx-key-unknown", "whatever",
        "x-request-id", "abc def",
        "x-hostile-padding", KIB_64);

    assertThat(response.status()).isEqualTo(HttpStatus.OK);
    assertThat(response.contentUtf8()).isEqualTo("ok");
    Seen edge = seen.get("edge/hostile");
    assertThat(edge.remainingMillis()).as("clamped to the gateway cap").isLessThanOrEqualTo(5_000).isGreaterThan(4_000);
    assertThat(edge.hop()).isZero();
    assertThat(edge.attempt()).isEqualTo(1);
    assertThat(edge.authSubject()).isNull();
    assertThat(edge.tenant()).as("oversized value dropped").isNull();
    assertThat(edge.requestId()).isNotEqualTo("abc def").matches(RequestId::isValid);
    assertThat(edge.raw().names()).as("the service never sees reqctx headers at the edge")
        .noneMatch(name -> name.toString().startsWith("reqctx-"));

    Seen internal = seen.get("internal/hostile");
    assertThat(internal.hop()).isEqualTo(1);
    assertThat(internal.attempt()).isEqualTo(1);
    assertThat(internal.callerTier()).isEqualTo("gateway");
    assertThat(internal.authSubject()).isNull();
    assertThat(internal.tenant()).isNull();
    assertThat(internal.requestId()).isEqualTo(edge.requestId());
    assertThat(internal.remainingMillis()).isLessThanOrEqualTo(3_000);
    RequestHeaders raw = internal.raw();
    assertThat(raw.getAll("reqctx-hop")).containsExactly("1");
    assertThat(raw.getAll("reqctx-tier")).containsExactly("gateway");
    assertThat(raw.getAll("reqctx-attempt")).containsExactly("1");
    assertThat(Long.parseLong(raw.get("reqctx-budget-ms"))).isLessThanOrEqualTo(3_000);
    assertThat(raw.contains("reqctx-key-auth-subject")).isFalse();
    assertThat(raw.contains("reqctx-key-tenant")).isFalse();
    assertThat(raw.contains("reqctx-key-unknown")).isFalse();
    assertThat(raw.getAll("x-request-id")).containsExactly(edge.requestId());

    assertThat(response.headers().names()).as("no reqctx header is echoed")
        .noneMatch(name -> name.toString().startsWith("reqctx-"));
    assertThat(response.headers().get("x-request-id")).isEqualTo(edge.requestId());
  }

  @Test
  void clientMayShortenItsBudgetAndKeepItsValidRequestId() {
    AggregatedHttpResponse response = call("/edge?tag=short",
        "reqctx-budget-ms", "2000", "grpc-timeout", "1500m", "x-envoy-expected-rq-timeout-ms", "15000",
        "x-request-id", "client-7f3a", "reqctx-key-tenant", "acme");

    assertThat(response.status()).isEqualTo(HttpStatus.OK);
    Seen edge = seen.get("edge/short");
    assertThat(edge.remainingMillis()).as("smallest well-formed wins").isLessThanOrEqualTo(1_500).isGreaterThan(1_000);
    assertThat(edge.requestId()).isEqualTo("client-7f3a");
    assertThat(edge.tenant()).isEqualTo("acme");
    assertThat(seen.get("internal/short").tenant()).isEqualTo("acme");
    assertThat(response.headers().get("x-request-id")).isEqualTo("client-7f3a");
  }

  @Test
  void malformedDeadlineHeadersAreIgnored() {
    AggregatedHttpResponse response = call("/edge?tag=malformed",
        "reqctx-budget-ms", "-5", "grpc-timeout", "5x", "x-envoy-expected-rq-timeout-ms", "1e3");

    assertThat(response.status()).isEqualTo(HttpStatus.OK);
    assertThat(seen.get("edge/malformed").remainingMillis()).isGreaterThan(4_000);
  }

  @Test
  void trustedHopRefusesAHopCountAboveTheLimitWith508() {
    AggregatedHttpResponse response = call("/internal?tag=loop", "reqctx-hop", "10000");

    assertThat(response.status().code()).isEqualTo(508);
    assertThat(response.contentUtf8()).contains("hop count 10000");
    assertThat(seen).doesNotContainKey("internal/loop");
  }

  @Test
  void trustedHopAcceptsTheCallersPosition() {
    AggregatedHttpResponse response = call("/internal?tag=trusted",
        "reqctx-hop", "4", "reqctx-attempt", "2", "reqctx-key-auth-subject", "svc-a", "reqctx-budget-ms", "900");

    assertThat(response.status()).isEqualTo(HttpStatus.OK);
    Seen internal = seen.get("internal/trusted");
    assertThat(internal.hop()).isEqualTo(4);
    assertThat(internal.attempt()).isEqualTo(2);
    assertThat(internal.authSubject()).isEqualTo("svc-a");
    assertThat(internal.remainingMillis()).isLessThanOrEqualTo(900);
    // Nothing the caller sent comes back; the only reqctx header is the hop's own elapsed time.
    assertThat(response.headers().names()).filteredOn(name -> name.toString().startsWith("reqctx-"))
        .extracting(Object::toString).containsExactly("reqctx-elapsed-us");
  }

  @Test
  void forgedHeadersAreHiddenFromTheServiceContextsRequestToo() {
    assertThat(call("/peek", "reqctx-hop", "99", "reqctx-tier", "gateway").status()).isEqualTo(HttpStatus.OK);
    assertThat(peeked.get("ctx.request").names()).noneMatch(name -> name.toString().startsWith("reqctx-"));
  }

  @Test
  void anOperatorsShorterRequestTimeoutIsKeptAndBoundsTheBudget() {
    long started = System.nanoTime();
    AggregatedHttpResponse response = call("/limited", "reqctx-budget-ms", "4000");
    long elapsedMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    assertThat(response.status()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
    assertThat(response.contentUtf8()).contains("budget of 300ms");
    assertThat(elapsedMillis).isLessThan(2_000);
  }
}
