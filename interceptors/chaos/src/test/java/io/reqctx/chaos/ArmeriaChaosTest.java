package io.reqctx.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.armeria.RequestCtxClient;
import io.reqctx.armeria.RequestCtxService;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Chaos around reqctx's Armeria decorators on a real Armeria server on loopback: each fault hits the
 * requests the seed and their ids pick, the service sees it through reqctx and Armeria, metrics and
 * span events record it, and every scope closes.
 */
@ExtendWith(StrictLeakExtension.class)
class ArmeriaChaosTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final Telemetry telemetry = new Telemetry();
  private static final Chaos chaos = Chaos.builder()
      .seed(11)
      .rule(ChaosRule.onServer("/wait/*", 0.5, Fault.cancelStorm(Duration.ofMillis(50), Duration.ofMillis(100))))
      .rule(ChaosRule.onServer("/shrink/*", 1, Fault.deadlineSkew(0.5, Duration.ZERO)))
      .rule(ChaosRule.onServer("/stretch/*", 1, Fault.deadlineSkew(2.5, Duration.ZERO)))
      .rule(ChaosRule.onServer("/late/*", 1, Fault.latency(Duration.ofMillis(100), Duration.ofMillis(150))))
      .rule(ChaosRule.onClient("/budget/*", 1, Fault.deadlineSkew(0.25, Duration.ZERO)))
      .rule(ChaosRule.onClient("/hang/*", 1, Fault.cancelStorm(Duration.ofMillis(50), Duration.ofMillis(100))))
      .openTelemetry(telemetry.sdk)
      .build();

  /** What a service saw of its request. */
  static final class Seen {
    volatile @Nullable Throwable ctxCause;
    volatile @Nullable ServiceRequestContext armeria;
    volatile long remainingMs = -1;
  }

  private static final Map<String, Seen> seen = new ConcurrentHashMap<>();

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(telemetry.sdk).build();
      var decorator = ChaosService.newDecorator(chaos, RequestCtxService.newDecorator(config));
      sb.service("/wait/{id}", waitForCancel().decorate(decorator));
      sb.service("/hang/{id}", waitForCancel().decorate(decorator)); // no server rule: only the client's cancel
      for (String prefix : List.of("/shrink/{id}", "/stretch/{id}", "/late/{id}", "/budget/{id}")) {
        sb.service(prefix, budget().decorate(decorator));
      }
    }
  };

  @AfterAll
  static void closeChaos() {
    chaos.close();
    telemetry.close();
  }

  /** Answers after 2 s unless its request is cancelled first. */
  private static HttpService waitForCancel() {
    return (ctx, req) -> {
      RequestCtx request = RequestCtx.current();
      Seen s = new Seen();
      s.armeria = ctx;
      seen.put(request.requestId(), s);
      CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
      RequestCtx.CancelRegistration registration = request.onCancel(cause -> s.ctxCause = cause);
      ctx.eventLoop().schedule(() -> {
        if (registration.remove()) {
          answer.complete(HttpResponse.of("done"));
        }
      }, 2, TimeUnit.SECONDS);
      return HttpResponse.of(answer);
    };
  }

  private static HttpService budget() {
    return (ctx, req) -> {
      RequestCtx request = RequestCtx.current();
      Seen s = new Seen();
      s.remainingMs = request.remainingBudget().orElseThrow().toMillis();
      seen.put(request.requestId(), s);
      return HttpResponse.of(Long.toString(s.remainingMs));
    };
  }

  private static CompletableFuture<AggregatedHttpResponse> get(String path, String requestId, long budgetMs) {
    return WebClient.of("http://127.0.0.1:" + server.httpPort())
        .execute(RequestHeaders.builder(HttpMethod.GET, path)
            .set("x-request-id", requestId).set("reqctx-budget-ms", Long.toString(budgetMs)).build())
        .aggregate();
  }

  private static long faults(String fault, String side) {
    return telemetry.counter("reqctx.chaos.faults", Attributes.of(ChaosTelemetry.FAULT, fault,
        ChaosTelemetry.SIDE, side, ChaosTelemetry.RESULT, "injected"));
  }

  @Test
  void cancelStormCancelsThePickedRequestsThroughArmeriaAndTheServiceSeesItsCtxCancelled() {
    List<String> ids = IntStream.range(0, 60).mapToObj(i -> "wait-" + i).toList();
    List<String> picked = ids.stream().filter(id -> !chaos.rulesFor(ChaosRule.Side.SERVER, "/wait/" + id, id).isEmpty()).toList();
    assertThat(picked).isNotEmpty().hasSizeLessThan(ids.size());
    Map<String, CompletableFuture<AggregatedHttpResponse>> calls = new ConcurrentHashMap<>();
    ids.forEach(id -> calls.put(id, get("/wait/" + id, id, 10_000)));

    for (String id : ids) {
      AggregatedHttpResponse response = calls.get(id).handle((r, e) -> r).orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
      if (picked.contains(id)) {
        assertThat(response == null ? null : response.status()).as(id).isNotEqualTo(HttpStatus.OK);
        Seen s = seen.get(id);
        // reqctx-armeria reads a cancelled Armeria request as the caller leaving; the chaos cause is Armeria's.
        assertThat(s.ctxCause).as(id).isInstanceOf(CancellationException.class).hasMessageContaining("the caller left");
        await().atMost(PATIENCE).untilAsserted(() -> {
          assertThat(s.armeria.isCancelled()).as("Armeria's context cancelled: %s", id).isTrue();
          assertThat(s.armeria.cancellationCause()).as(id).hasMessageContaining("reqctx-chaos: CancelStorm");
        });
      } else {
        assertThat(response.status()).as(id).isEqualTo(HttpStatus.OK);
        assertThat(seen.get(id).ctxCause).as(id).isNull();
      }
    }
    assertThat(faults("cancel_storm", "server")).isEqualTo(picked.size());
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(telemetry.spansWithEvent("reqctx.chaos.cancel_storm")).hasSize(picked.size()));
  }

  @Test
  void deadlineSkewRewritesTheBudgetHeadersBeforeReqctxReadsThemInBothDirections() {
    assertThat(get("/shrink/s-1", "s-1", 2_000).join().status()).isEqualTo(HttpStatus.OK);
    assertThat(get("/stretch/s-2", "s-2", 1_000).join().status()).isEqualTo(HttpStatus.OK);

    assertThat(seen.get("s-1").remainingMs).isBetween(1L, 1_000L);
    assertThat(seen.get("s-2").remainingMs).isBetween(1_001L, 2_500L); // more than the caller sent
    assertThat(faults("deadline_skew", "server")).isEqualTo(2);
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(telemetry.events("reqctx.chaos.deadline_skew")).extracting(e -> e.getAttributes().get(ChaosTelemetry.BUDGET_AFTER_MS))
            .contains(1_000L, 2_500L));
  }

  @Test
  void latencyDelaysTheServiceInsideTheRequestsBudget() {
    assertThat(get("/late/l-1", "l-1", 2_000).join().status()).isEqualTo(HttpStatus.OK);

    assertThat(seen.get("l-1").remainingMs).isBetween(1L, 2_000L - 100);
    assertThat(faults("latency", "server")).isEqualTo(1);
  }

  @Test
  void theClientDecoratorSkewsTheBudgetItSendsAndCancelsRequestsItPicks() {
    WebClient client = WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(ChaosClient.newDecorator(chaos))
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(Tier.SERVICE).trusted(true).openTelemetry(telemetry.sdk).build()))
        .build();
    AggregatedHttpResponse skewed;
    AggregatedHttpResponse cancelled;
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).requestId("from-client-1")
            .budget(Duration.ofSeconds(4)).open();
        Scope s = request.makeCurrent()) {
      skewed = client.get("/budget/from-client-1").aggregate().join();
      cancelled = client.get("/hang/from-client-1").aggregate().handle((r, e) -> r).join();
    }

    assertThat(skewed.status()).isEqualTo(HttpStatus.OK);
    assertThat(Long.parseLong(skewed.contentUtf8())).isBetween(1L, 1_000L); // a quarter of at most 3 s
    assertThat(cancelled).isNull(); // the request failed on the client: it was cancelled there
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(seen.get("from-client-1").ctxCause).as("the server saw its caller leave").isNotNull());
    assertThat(faults("deadline_skew", "client")).isEqualTo(1);
    assertThat(faults("cancel_storm", "client")).isEqualTo(1);
  }
}
