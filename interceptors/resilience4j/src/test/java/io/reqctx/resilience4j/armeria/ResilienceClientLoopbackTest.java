package io.reqctx.resilience4j.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.errorprone.annotations.MustBeClosed;
import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.util.Exceptions;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.armeria.RequestCtxClient;
import io.reqctx.armeria.RequestCtxService;
import io.reqctx.resilience4j.AttemptTimeoutException;
import io.reqctx.resilience4j.BudgetAwareRetry;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.RetryBudget;
import io.reqctx.resilience4j.RetryStoppedException;
import io.reqctx.resilience4j.StopReason;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ResilienceClient} with reqctx-armeria's {@code RequestCtxClient} inside it, against a real
 * Armeria server on 127.0.0.1 (one per class).
 */
@ExtendWith(StrictLeakExtension.class)
class ResilienceClientLoopbackTest {
  /** What /flaky saw per tag: the {@code reqctx-attempt} header and the body of each attempt. */
  static final Map<String, List<String>> attemptHeaders = new ConcurrentHashMap<>();
  static final Map<String, List<String>> bodies = new ConcurrentHashMap<>();
  static final AtomicInteger slowCalls = new AtomicInteger();
  static final AtomicInteger slowCancelled = new AtomicInteger();
  static final Map<String, AtomicInteger> leafCalls = new ConcurrentHashMap<>();
  static final AtomicInteger fragileCalls = new AtomicInteger();
  static volatile boolean fragileUp;
  static final FakeTicker breakerTime = new FakeTicker();

  static volatile WebClient toFlaky;
  static volatile WebClient toSlow;
  static volatile WebClient toFragile;
  static volatile DownstreamGuard fragileGuard;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.http(new InetSocketAddress("127.0.0.1", 0));
      ServerConfig cache = ServerConfig.builder(Tier.CACHE, Trust.TRUSTED).openTelemetry(OpenTelemetry.noop()).build();
      sb.service("/flaky", flaky().decorate(RequestCtxService.newDecorator(cache)));
      // A hop of its own calling /flaky: the attempts start under the service's Armeria context.
      ServerConfig front = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(OpenTelemetry.noop()).build();
      HttpService forward = (ctx, req) -> toFlaky.post("/flaky?tag=" + ctx.queryParam("tag"), "from-front");
      sb.service("/front", forward.decorate(RequestCtxService.newDecorator(front)));
      sb.service("/slow", (ctx, req) -> {
        slowCalls.incrementAndGet();
        ctx.whenRequestCancelled().thenRun(slowCancelled::incrementAndGet);
        // Answers long after any budget of this test, without holding a thread.
        return HttpResponse.delayed(HttpResponse.of("too late"), Duration.ofSeconds(5), ctx.eventLoop());
      });
      sb.service("prefix:/leaf/", (ctx, req) -> {
        leafCalls.computeIfAbsent(ctx.path(), p -> new AtomicInteger()).incrementAndGet();
        return HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE);
      });
      sb.service("/fragile", (ctx, req) -> {
        fragileCalls.incrementAndGet();
        return fragileUp ? HttpResponse.of("fresh") : HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE);
      });
    }
  };

  /** 503 for the first two attempts of each tag, then "ok:" and the body. */
  static HttpService flaky() {
    return (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(request -> {
      String tag = ctx.queryParam("tag");
      attemptHeaders.computeIfAbsent(tag, t -> new CopyOnWriteArrayList<>()).add(request.headers().get("reqctx-attempt"));
      List<String> seen = bodies.computeIfAbsent(tag, t -> new CopyOnWriteArrayList<>());
      seen.add(request.contentUtf8());
      return seen.size() <= 2 ? HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE)
          : HttpResponse.of("ok:" + request.contentUtf8());
    }));
  }

  /** Three attempts without backoff: Resilience4j's config, made budget-aware. */
  static final RetryConfig THREE_ATTEMPTS = RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ZERO).build();

  static DownstreamGuard.Builder guard(String downstream) {
    return DownstreamGuard.builder(downstream).retry(THREE_ATTEMPTS);
  }

  /** reqctx's decorator first, the resilience decorator after it (in Armeria, the last added runs first). */
  static WebClient client(Function<? super com.linecorp.armeria.client.HttpClient,
      ? extends com.linecorp.armeria.client.HttpClient> resilience) {
    return client(Tier.CACHE, resilience);
  }

  static WebClient client(Tier callee, Function<? super com.linecorp.armeria.client.HttpClient,
      ? extends com.linecorp.armeria.client.HttpClient> resilience) {
    return WebClient.builder("http://127.0.0.1:" + server.httpPort())
        .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(callee).trusted(true)
            .openTelemetry(OpenTelemetry.noop()).build()))
        .decorator(resilience)
        .build();
  }

  @BeforeAll
  static void connect() {
    toFlaky = client(ResilienceClient.builder()
        .path("/flaky", guard("flaky").timeLimiter(TimeLimiter.of(Duration.ofMillis(500))).build())
        .newDecorator());
    toSlow = client(ResilienceClient.builder()
        .path("/slow", guard("slow").timeLimiter(TimeLimiter.of(Duration.ofMillis(300))).build())
        .newDecorator());
    fragileGuard = DownstreamGuard.builder("fragile")
        .retry(RetryConfig.custom().maxAttempts(1).build())
        .ticker(breakerTime)
        .circuitBreaker(CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofSeconds(30)).permittedNumberOfCallsInHalfOpenState(1).build())
        .build();
    toFragile = client(ResilienceClient.builder()
        .path("/fragile", fragileGuard)
        .fallback("/fragile", (reason, failure) -> AggregatedHttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8,
            "stale"))
        .newDecorator());
  }

  @MustBeClosed
  static CancellableCtx origin(Duration budget) {
    return CancellableCtx.newRoot(Tier.GATEWAY).budget(budget).open();
  }

  @Test
  void downstreamFailingTwiceThenSucceedingIsRetriedWithAttemptHeadersOneTwoThreeAndTheBodyReplayed() {
    AggregatedHttpResponse response;
    try (CancellableCtx request = origin(Duration.ofSeconds(3)); Scope s = request.makeCurrent()) {
      response = toFlaky.post("/flaky?tag=r1", "payload").aggregate().join();
    }
    assertThat(response.status()).isEqualTo(HttpStatus.OK);
    assertThat(response.contentUtf8()).isEqualTo("ok:payload");
    assertThat(response.headers().get(ResilienceClient.DEGRADED)).isNull();
    assertThat(attemptHeaders.get("r1")).containsExactly("1", "2", "3");
    assertThat(bodies.get("r1")).containsExactly("payload", "payload", "payload");
  }

  @Test
  void everyAttemptShowsInTheEventsAndMetricsOfInstancesFromTheApplicationsRegistries() {
    Retry retry = RetryRegistry.of(BudgetAwareRetry.config(THREE_ATTEMPTS)).retry("flaky-from-registries");
    CircuitBreaker breaker = CircuitBreakerRegistry.ofDefaults().circuitBreaker("flaky-from-registries");
    Bulkhead bulkhead = BulkheadRegistry.ofDefaults().bulkhead("flaky-from-registries");
    List<String> events = new CopyOnWriteArrayList<>();
    bulkhead.getEventPublisher().onEvent(event -> events.add("bulkhead " + event.getEventType()));
    breaker.getEventPublisher().onEvent(event -> events.add("breaker " + event.getEventType()));
    retry.getEventPublisher().onEvent(event -> events.add("retry " + event.getEventType()));
    WebClient client = client(Tier.SERVICE, ResilienceClient.builder()
        .path("/flaky", DownstreamGuard.builder("flaky").retry(retry).circuitBreaker(breaker).bulkhead(bulkhead).build())
        .newDecorator());

    AggregatedHttpResponse response;
    try (CancellableCtx request = origin(Duration.ofSeconds(5)); Scope s = request.makeCurrent()) {
      response = client.post("/flaky?tag=registries", "payload").aggregate().join();
    }

    assertThat(response.contentUtf8()).isEqualTo("ok:payload");
    assertThat(attemptHeaders.get("registries")).containsExactly("1", "2", "3");
    assertThat(events).containsExactly(
        "bulkhead CALL_PERMITTED", "bulkhead CALL_FINISHED", "breaker ERROR", "retry RETRY",
        "bulkhead CALL_PERMITTED", "bulkhead CALL_FINISHED", "breaker ERROR", "retry RETRY",
        "bulkhead CALL_PERMITTED", "bulkhead CALL_FINISHED", "breaker SUCCESS", "retry SUCCESS");
    assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
    assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls())
        .isEqualTo(bulkhead.getBulkheadConfig().getMaxConcurrentCalls());
  }

  @Test
  void attemptsStartedInsideAnArmeriaServiceCarryTheirOwnAttemptNumbers() {
    AggregatedHttpResponse response = WebClient.of("http://127.0.0.1:" + server.httpPort())
        .get("/front?tag=front").aggregate().join();
    assertThat(response.contentUtf8()).isEqualTo("ok:from-front");
    assertThat(attemptHeaders.get("front")).containsExactly("1", "2", "3");
  }

  @Test
  void slowDownstreamWith500msLeftAndA300msCapGetsExactlyOneAttemptWhichIsCancelled() {
    long start = System.nanoTime();
    Throwable failure;
    try (CancellableCtx request = origin(Duration.ofMillis(500)); Scope s = request.makeCurrent()) {
      failure = Exceptions.peel(catchThrowable(() -> toSlow.get("/slow").aggregate().join()));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(480));
    // Whichever ends the attempt first: reqctx's attempt budget, or the response timeout set from it.
    assertThat(failure).isInstanceOfAny(AttemptTimeoutException.class, ResponseTimeoutException.class);
    assertThat(RetryStoppedException.of(failure)).hasValueSatisfying(stop -> {
      assertThat(stop.reason()).isEqualTo(StopReason.DEADLINE_BUDGET);
      assertThat(stop.getMessage()).contains("not retrying slow");
    });
    await().atMost(Duration.ofSeconds(4)).untilAsserted(() -> assertThat(slowCancelled).hasValue(1));
    assertThat(slowCalls).hasValue(1);
  }

  @Test
  void openBreakerServesTheFallbackMarkedDegradedAndRecoversAfterTheWait() {
    try (CancellableCtx request = origin(Duration.ofSeconds(3)); Scope s = request.makeCurrent()) {
      AggregatedHttpResponse first = toFragile.get("/fragile").aggregate().join();
      assertThat(first.contentUtf8()).isEqualTo("stale");
      assertThat(first.headers().get(ResilienceClient.DEGRADED)).isEqualTo("attempts_exhausted");
      toFragile.get("/fragile").aggregate().join();
      assertThat(fragileGuard.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.OPEN);
      int before = fragileCalls.get();

      AggregatedHttpResponse whileOpen = toFragile.get("/fragile").aggregate().join();
      assertThat(whileOpen.status()).isEqualTo(HttpStatus.OK);
      assertThat(whileOpen.contentUtf8()).isEqualTo("stale");
      assertThat(whileOpen.headers().get(ResilienceClient.DEGRADED)).isEqualTo("circuit_open");
      assertThat(fragileCalls).hasValue(before);

      fragileUp = true;
      breakerTime.advance(Duration.ofSeconds(30).plusMillis(1));
      AggregatedHttpResponse recovered = toFragile.get("/fragile").aggregate().join();
      assertThat(recovered.contentUtf8()).isEqualTo("fresh");
      assertThat(recovered.headers().get(ResilienceClient.DEGRADED)).isNull();
      assertThat(fragileGuard.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
  }

  @Test
  void burstOfFailingRequestsRetriesWithinTheRetryBudgetAndEndsWithTheLast503() {
    double ratio = 0.1;
    int floorPerSecond = 1;
    Duration window = Duration.ofSeconds(10);
    // A service-tier callee (3 s cap, not the cache's 800 ms): 60 concurrent requests on a loaded machine
    // must end on the retry budget, not on a response timeout.
    WebClient toLeaf = client(Tier.SERVICE, ResilienceClient.builder()
        .path("prefix:/leaf/", guard("leaf")
            .retryBudget(RetryBudget.builder().ratio(ratio).minRetriesPerSecond(floorPerSecond).window(window).build())
            .build())
        .newDecorator());
    int requests = 60;
    List<CompletableFuture<AggregatedHttpResponse>> calls = new ArrayList<>();
    try (CancellableCtx request = origin(Duration.ofSeconds(4)); Scope s = request.makeCurrent()) {
      for (int i = 0; i < requests; i++) {
        calls.add(toLeaf.get("/leaf/burst").aggregate());
      }
      for (CompletableFuture<AggregatedHttpResponse> call : calls) {
        assertThat(call.join().status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
      }
    }
    int retries = leafCalls.get("/leaf/burst").get() - requests;
    assertThat(retries).isLessThanOrEqualTo((int) (ratio * requests + floorPerSecond * window.toSeconds()));
    assertThat(retries).isPositive();
  }

  @Test
  void pathWithoutAGuardPassesThroughWithoutRetries() {
    WebClient onlyFlaky = client(ResilienceClient.builder()
        .path("/flaky", guard("flaky").build())
        .newDecorator());
    AggregatedHttpResponse response;
    try (CancellableCtx request = origin(Duration.ofSeconds(3)); Scope s = request.makeCurrent()) {
      response = onlyFlaky.get("/leaf/unguarded").aggregate().join();
    }
    assertThat(response.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(leafCalls.get("/leaf/unguarded")).hasValue(1);
  }
}
