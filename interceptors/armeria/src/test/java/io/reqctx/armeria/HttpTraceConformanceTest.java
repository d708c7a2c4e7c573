package io.reqctx.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.Tier;
import io.reqctx.grpc.Conformance;
import io.reqctx.grpc.TestRpc;
import io.reqctx.internal.wire.W3cVectors;
import io.reqctx.internal.wire.W3cVectors.HopCase;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.MDC;

/**
 * Every W3C Trace Context and Baggage rule ({@link W3cVectors#hopCases()}) sent over HTTP/1.1 and
 * over HTTP/2 to an HTTP service behind {@link RequestCtxService}, which calls the next hop with a
 * {@code WebClient} decorated by {@link RequestCtxClient} over the same protocol: asserts what the
 * next hop receives, with and without an OpenTelemetry SDK. One Armeria server on 127.0.0.1 holds the
 * hops and the next hop, which answers the W3C headers it got.
 *
 * <p>Armeria's HTTP/1 decoder trims whitespace around header values before any decorator runs; over
 * HTTP/2 the values arrive as sent, so the whitespace cases reach reqctx's codecs there.
 */
@ExtendWith(StrictLeakExtension.class)
class HttpTraceConformanceTest {
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk sdk = TestRpc.openTelemetry(spans);
  /** The hop's client to the next hop, by protocol and SDK. */
  /*
   * Tiers with caps far above any delay a loaded machine causes: the hops' budgets are on a FakeTicker
   * that never moves, but the next call's response timeout is real.
   */
  static final Tier HOP_TIER = Tier.define("http-conformance-hop", 200, Duration.ofSeconds(60));
  static final Tier NEXT_TIER = Tier.define("http-conformance-next", 100, Duration.ofSeconds(30));
  static final FakeTicker ticker = new FakeTicker();
  static final Map<String, WebClient> nextClients = new ConcurrentHashMap<>();
  /** Plain clients (no reqctx) standing for the callers, by protocol: one connection each for all cases. */
  static final Map<SessionProtocol, WebClient> outsideClients = new ConcurrentHashMap<>();

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      sb.service("/hop/no-sdk", hop(false).decorate(RequestCtxService.newDecorator(serverConfig(OpenTelemetry.noop()))));
      sb.service("/hop/sdk", hop(true).decorate(RequestCtxService.newDecorator(serverConfig(sdk))));
      sb.service("/next", (ctx, req) -> HttpResponse.of(Conformance.format(name -> req.headers().getAll(name))));
    }
  };

  static ServerConfig serverConfig(OpenTelemetry openTelemetry) {
    return ServerConfig.builder(HOP_TIER, Trust.TRUSTED).openTelemetry(openTelemetry).ticker(ticker).build();
  }

  /**
   * Connections and classes ready before any case runs; the answers are not checked. The hops' budgets
   * are on a {@link FakeTicker} that never moves, but the WebClient's response timeout is real, and a
   * cold first call on a loaded machine may outlast it.
   */
  @BeforeAll
  static void warmUp() {
    for (SessionProtocol protocol : List.of(SessionProtocol.H1C, SessionProtocol.H2C)) {
      for (String path : List.of("/hop/no-sdk", "/hop/sdk")) {
        outside(protocol).get(path).aggregate().handle((answer, failure) -> null).join();
      }
    }
  }

  static WebClient outside(SessionProtocol protocol) {
    return outsideClients.computeIfAbsent(protocol,
        p -> WebClient.builder(p, Endpoint.of("127.0.0.1", server.httpPort())).build());
  }

  /** The hop: calls the next hop over its own request's protocol, answers what it received and its MDC ids. */
  static HttpService hop(boolean withSdk) {
    return (ctx, req) -> {
      String hopLines = Conformance.hopLines(MDC.get("trace_id"), MDC.get("span_id"));
      WebClient next = nextClient(ctx.sessionProtocol(), withSdk);
      return HttpResponse.of(next.get("/next").aggregate()
          .thenApply(answer -> HttpResponse.of(answer.contentUtf8() + hopLines)));
    };
  }

  static WebClient nextClient(SessionProtocol protocol, boolean withSdk) {
    return nextClients.computeIfAbsent(protocol + "/" + withSdk, key -> WebClient
        .builder(protocol, Endpoint.of("127.0.0.1", server.httpPort()))
        .decorator(RequestCtxClient.newDecorator(
            ClientConfig.builder(NEXT_TIER).openTelemetry(withSdk ? sdk : OpenTelemetry.noop()).build()))
        .build());
  }

  @AfterAll
  static void closeSdk() {
    sdk.close();
  }

  static Stream<Arguments> cases() {
    List<Arguments> arguments = new ArrayList<>();
    for (SessionProtocol protocol : List.of(SessionProtocol.H1C, SessionProtocol.H2C)) {
      for (HopCase hopCase : W3cVectors.hopCases()) {
        if (!hopCase.sendable()) {
          continue; // Armeria's client refuses control characters and non-ASCII: the codec tests cover them
        }
        arguments.add(Arguments.of(protocol, false, hopCase));
        arguments.add(Arguments.of(protocol, true, hopCase));
      }
    }
    return arguments.stream();
  }

  @ParameterizedTest(name = "{0} sdk={1}: {2}")
  @MethodSource("cases")
  void theNextHopReceivesWhatTheRulesSay(SessionProtocol protocol, boolean withSdk, HopCase hopCase) {
    RequestHeadersBuilder headers = RequestHeaders.builder(HttpMethod.GET, withSdk ? "/hop/sdk" : "/hop/no-sdk");
    hopCase.traceparent().forEach(value -> headers.add("traceparent", value));
    hopCase.tracestate().forEach(value -> headers.add("tracestate", value));
    hopCase.baggage().forEach(value -> headers.add("baggage", value));

    AggregatedHttpResponse answer = outside(protocol).execute(headers.build()).aggregate().join();

    assertThat(answer.status()).as(answer.contentUtf8()).isEqualTo(HttpStatus.OK);
    Conformance.Received received = Conformance.parse(answer.contentUtf8());
    Conformance.assertForwarded(hopCase, received, withSdk);
    if (withSdk && received.sampled()) {
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(spans.getFinishedSpanItems()).as("the parent-id is the id of the hop's (sampled) CLIENT span")
              .anySatisfy(span -> {
                assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
                assertThat(span.getSpanId()).isEqualTo(received.parentId());
              }));
    }
  }
}
