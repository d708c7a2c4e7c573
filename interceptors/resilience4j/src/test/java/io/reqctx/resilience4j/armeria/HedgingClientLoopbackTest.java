package io.reqctx.resilience4j.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.errorprone.annotations.MustBeClosed;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.Callee;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.armeria.RequestCtxClient;
import io.reqctx.armeria.RequestCtxService;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Hedging;
import io.reqctx.resilience4j.RetryBudget;
import io.reqctx.resilience4j.TestTelemetry;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Budget-aware hedging through {@link ResilienceClient} and reqctx-armeria's {@code RequestCtxClient},
 * against a real Armeria server on 127.0.0.1. The guard's alarm and the request's budget run on a fake
 * ticker; the requests are real, and the server sees the losing request cancelled.
 */
@ExtendWith(StrictLeakExtension.class)
class HedgingClientLoopbackTest {
  static final Tier REPLICA = Tier.define("hedging-armeria-replica", 150, Duration.ofSeconds(60));
  static final FakeTicker ticker = new FakeTicker();
  /** Per tag: the reqctx-attempt header of each request the server got, and a latch per cancelled attempt. */
  static final Map<String, List<String>> seen = new ConcurrentHashMap<>();
  static final Map<String, CountDownLatch> cancelled = new ConcurrentHashMap<>();
  static final Map<String, CompletableFuture<HttpResponse>> held = new ConcurrentHashMap<>();

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      ServerConfig config = ServerConfig.builder(REPLICA, Trust.TRUSTED).openTelemetry(OpenTelemetry.noop()).build();
      // slow-first tags: attempt 1 waits (without a thread) until the test answers it or it is cancelled;
      // later attempts answer at once. hold tags: every attempt waits.
      com.linecorp.armeria.server.HttpService replica = (ctx, req) -> {
        String tag = ctx.queryParam("tag");
        String attempt = req.headers().get("reqctx-attempt");
        seen.computeIfAbsent(tag, t -> new CopyOnWriteArrayList<>()).add(attempt);
        CountDownLatch gone = cancelled.computeIfAbsent(tag + "#" + attempt, k -> new CountDownLatch(1));
        ctx.whenRequestCancelled().thenRun(gone::countDown);
        if (tag.startsWith("slow-first") && !"1".equals(attempt)) {
          return HttpResponse.of(tag + " answered by attempt " + attempt);
        }
        return HttpResponse.of(held.computeIfAbsent(tag + "#" + attempt, k -> new CompletableFuture<>()));
      };
      sb.service("/replica", replica.decorate(RequestCtxService.newDecorator(config)));
    }
  };

  @AfterAll
  static void answerEverything() {
    held.values().forEach(f -> f.complete(HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE)));
  }

  static WebClient client(TestTelemetry telemetry) {
    DownstreamGuard guard = DownstreamGuard.builder("replica").ticker(ticker).executor(Runnable::run)
        .callee(Callee.of("replica", REPLICA))
        .openTelemetry(telemetry.openTelemetry)
        .hedging(Hedging.fixedDelay(2, Duration.ofMillis(50)))
        .retryBudget(RetryBudget.builder().ticker(ticker).build())
        .build();
    return WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(REPLICA).trusted(true)
            .openTelemetry(OpenTelemetry.noop()).build()))
        .decorator(ResilienceClient.builder().path("/replica", guard).newDecorator())
        .build();
  }

  @MustBeClosed
  static CancellableCtx origin() {
    return CancellableCtx.newRoot(Tier.GATEWAY).ticker(ticker).budget(Duration.ofSeconds(30)).open();
  }

  static void awaitAttempts(String tag, int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> seen.getOrDefault(tag, List.of()).size() >= n);
  }

  @Test
  void slowGetIsHedgedAndTheServerSeesTheLosingRequestCancelledWhenTheHedgeAnswers() throws Exception {
    TestTelemetry telemetry = new TestTelemetry();
    WebClient client = client(telemetry);
    CompletableFuture<AggregatedHttpResponse> response;
    try (CancellableCtx request = origin(); Scope s = request.makeCurrent()) {
      response = client.get("/replica?tag=slow-first-get").aggregate();
      awaitAttempts("slow-first-get", 1);
      ticker.advance(Duration.ofMillis(50));
      assertThat(response.get(30, TimeUnit.SECONDS).contentUtf8()).isEqualTo("slow-first-get answered by attempt 2");
      assertThat(cancelled.get("slow-first-get#1").await(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(seen.get("slow-first-get")).containsExactly("1", "2");
    assertThat(telemetry.counter("reqctx.hedges.won")).isEqualTo(1);
    assertThat(telemetry.counter("reqctx.hedges.cancelled")).isEqualTo(1);
  }

  @Test
  void aPostIsNeverHedged() throws Exception {
    TestTelemetry telemetry = new TestTelemetry();
    WebClient client = client(telemetry);
    CompletableFuture<AggregatedHttpResponse> response;
    try (CancellableCtx request = origin(); Scope s = request.makeCurrent()) {
      response = client.post("/replica?tag=hold-post", "order #1").aggregate();
      awaitAttempts("hold-post", 1);
      ticker.advance(Duration.ofSeconds(5)); // a hundred hedging delays
      held.get("hold-post#1").complete(HttpResponse.of("created once"));
      assertThat(response.get(30, TimeUnit.SECONDS).contentUtf8()).isEqualTo("created once");
    }
    assertThat(seen.get("hold-post")).containsExactly("1");
    assertThat(telemetry.counter("reqctx.hedges.sent")).isZero();
  }
}
