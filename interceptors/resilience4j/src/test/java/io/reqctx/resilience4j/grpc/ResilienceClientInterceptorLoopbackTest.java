package io.reqctx.resilience4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.errorprone.annotations.MustBeClosed;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.retry.event.RetryEvent;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.github.resilience4j.timelimiter.event.TimeLimiterEvent;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ConnectivityState;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.TestRpc;
import io.reqctx.resilience4j.AmplificationRule;
import io.reqctx.resilience4j.BudgetAwareRetry;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.RetryBudget;
import io.reqctx.resilience4j.RetryStoppedException;
import io.reqctx.resilience4j.StopReason;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import io.reqctx.transport.ClientConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The interceptor with reqctx-grpc's interceptors, against real Netty servers on 127.0.0.1. */
@ExtendWith(StrictLeakExtension.class)
class ResilienceClientInterceptorLoopbackTest {
  static final MethodDescriptor<String, String> FLAKY = TestRpc.unary("test.Flaky/Call");
  static final MethodDescriptor<String, String> SLOW = TestRpc.unary("test.Slow/Call");
  static final MethodDescriptor<String, String> HOP_A = TestRpc.unary("test.HopA/Call");
  static final MethodDescriptor<String, String> HOP_B = TestRpc.unary("test.HopB/Call");
  static final MethodDescriptor<String, String> LEAF = TestRpc.unary("test.Leaf/Call");
  static final MethodDescriptor<String, String> FRAGILE = TestRpc.unary("test.Fragile/Call");

  static final List<Object> resources = new ArrayList<>();
  static final Map<String, List<String>> attemptHeaders = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> leafCalls = new ConcurrentHashMap<>();
  static final AtomicInteger slowCalls = new AtomicInteger();
  static final CountDownLatch slowCancelled = new CountDownLatch(1);
  static final AtomicInteger fragileCalls = new AtomicInteger();
  static volatile boolean fragileUp;
  static final FakeTicker breakerTime = new FakeTicker();

  static ManagedChannel flakyChannel;
  static Channel toFlaky;
  static Channel toSlow;
  static Channel toHopA;
  static Channel toFragile;
  static DownstreamGuard fragileGuard;
  static Retry slowRetry;
  static final List<RetryEvent> slowRetryEvents = new CopyOnWriteArrayList<>();
  static TimeLimiter slowLimiter;
  static final List<TimeLimiterEvent.Type> slowLimiterEvents = new CopyOnWriteArrayList<>();

  static ClientInterceptor reqctx(Tier callee) {
    return RequestCtxClientInterceptor.create(ClientConfig.builder(callee).trusted(true).openTelemetry(OpenTelemetry.noop())
        .build());
  }

  /** Three attempts without backoff: Resilience4j's config, made budget-aware. */
  static final RetryConfig THREE_ATTEMPTS = RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ZERO).build();

  static DownstreamGuard.Builder guard(String downstream) {
    return DownstreamGuard.builder(downstream).retry(THREE_ATTEMPTS);
  }

  /** reqctx's interceptor first, the resilience interceptor outside it (it runs first). */
  static Channel guarded(ManagedChannel channel, Tier callee, String service, DownstreamGuard guard) {
    return ClientInterceptors.intercept(channel, reqctx(callee),
        ResilienceClientInterceptor.builder().service(service, guard)
            .fallback(FRAGILE, (reason, failure) -> "stale").build());
  }

  static ManagedChannel channel(Server server) {
    resources.add(server);
    ManagedChannel channel = Loopback.channelTo(server);
    resources.add(0, channel);
    // Connected before any test runs: on a loaded machine a cold connection alone can outlast an attempt's cap.
    await().atMost(Duration.ofSeconds(30)).until(() -> channel.getState(true) == ConnectivityState.READY);
    return channel;
  }

  static String call(Channel channel, MethodDescriptor<String, String> method, String request) {
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT, request);
  }

  @BeforeAll
  static void startServers() {
    Server flaky = Loopback.serve(FLAKY, Tier.CACHE, (request, headers) -> {
      List<String> seen = attemptHeaders.computeIfAbsent(request, r -> new CopyOnWriteArrayList<>());
      seen.add(headers.get(Loopback.ATTEMPT));
      if (seen.size() <= 2) {
        throw Status.UNAVAILABLE.withDescription("injected failure " + seen.size()).asRuntimeException();
      }
      return "ok:" + request;
    });
    flakyChannel = channel(flaky);
    toFlaky = guarded(flakyChannel, Tier.CACHE, "test.Flaky",
        guard("flaky").timeLimiter(TimeLimiter.of(Duration.ofMillis(500))).build());

    Server slow = Loopback.serve(SLOW, Tier.CACHE, (request, headers) -> {
      slowCalls.incrementAndGet();
      CountDownLatch cancelled = new CountDownLatch(1);
      io.grpc.Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
      if (cancelled.await(5, TimeUnit.SECONDS)) {
        slowCancelled.countDown();
      }
      return "too late";
    });
    slowLimiter = TimeLimiterRegistry.ofDefaults().timeLimiter("slow",
        TimeLimiterConfig.custom().timeoutDuration(Duration.ofMillis(300)).build());
    slowLimiter.getEventPublisher().onEvent(event -> slowLimiterEvents.add(event.getEventType()));
    slowRetry = RetryRegistry.of(BudgetAwareRetry.config(THREE_ATTEMPTS)).retry("slow");
    slowRetry.getEventPublisher().onEvent(slowRetryEvents::add);
    toSlow = guarded(channel(slow), Tier.CACHE, "test.Slow",
        DownstreamGuard.builder("slow").retry(slowRetry).timeLimiter(slowLimiter).build());

    // origin -> hop A -> hop B -> leaf; every hop configures 3 attempts.
    Server leaf = Loopback.serve(LEAF, Tier.CACHE, (request, headers) -> {
      leafCalls.computeIfAbsent(request, r -> new AtomicInteger()).incrementAndGet();
      throw Status.UNAVAILABLE.withDescription("leaf down").asRuntimeException();
    });
    Channel toLeafDefault = guarded(channel(leaf), Tier.CACHE, "test.Leaf", guard("leaf").build());
    Channel toLeafEveryHop = guarded(channel(leaf), Tier.CACHE, "test.Leaf",
        guard("leaf").amplificationRule(AmplificationRule.everyHop()).build());
    Server hopB = Loopback.serve(HOP_B, Tier.SERVICE, (request, headers) ->
        call(request.startsWith("every-hop") ? toLeafEveryHop : toLeafDefault, LEAF, request));
    Channel toHopBDefault = guarded(channel(hopB), Tier.SERVICE, "test.HopB", guard("hop-b").build());
    Channel toHopBEveryHop = guarded(channel(hopB), Tier.SERVICE, "test.HopB",
        guard("hop-b").amplificationRule(AmplificationRule.everyHop()).build());
    Server hopA = Loopback.serve(HOP_A, Tier.SERVICE, (request, headers) ->
        call(request.startsWith("every-hop") ? toHopBEveryHop : toHopBDefault, HOP_B, request));
    toHopA = guarded(channel(hopA), Tier.SERVICE, "test.HopA",
        guard("hop-a").amplificationRule(AmplificationRule.everyHop()).build());

    Server fragile = Loopback.serve(FRAGILE, Tier.CACHE, (request, headers) -> {
      fragileCalls.incrementAndGet();
      if (!fragileUp) {
        throw Status.UNAVAILABLE.withDescription("fragile down").asRuntimeException();
      }
      return "fresh";
    });
    fragileGuard = DownstreamGuard.builder("fragile")
        .ticker(breakerTime)
        .circuitBreaker(CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofSeconds(30)).permittedNumberOfCallsInHalfOpenState(1).build())
        .build();
    toFragile = guarded(channel(fragile), Tier.CACHE, "test.Fragile", fragileGuard);
  }

  @AfterAll
  static void stopServers() throws InterruptedException {
    Loopback.shutdown(resources);
  }

  @MustBeClosed
  static CancellableCtx origin(Duration budget) {
    return CancellableCtx.newRoot(Tier.GATEWAY).budget(budget).open();
  }

  @Test
  void downstreamFailingTwiceThenSucceedingIsRetriedWithAttemptHeadersOneTwoThree() {
    try (CancellableCtx request = origin(Duration.ofSeconds(3)); Scope s = request.makeCurrent()) {
      assertThat(call(toFlaky, FLAKY, "r1")).isEqualTo("ok:r1");
    }
    assertThat(attemptHeaders.get("r1")).containsExactly("1", "2", "3");
  }

  @Test
  void slowDownstreamWith500msLeftAndA300msCapGetsExactlyOneAttemptWhichIsCancelled() throws Exception {
    try (CancellableCtx request = origin(Duration.ofMillis(500)); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> call(toSlow, SLOW, "slow"))
          .isInstanceOf(StatusRuntimeException.class)
          .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
              .isEqualTo(Status.Code.DEADLINE_EXCEEDED))
          .hasMessageContaining("not retrying slow");
    }
    assertThat(slowCancelled.await(2, TimeUnit.SECONDS)).isTrue(); // the server's work was stopped
    assertThat(slowCalls).hasValue(1);
    // Resilience4j saw it: the attempt's time limit ran out, and the Retry gave up on the budget's veto.
    assertThat(slowLimiterEvents).containsExactly(TimeLimiterEvent.Type.TIMEOUT);
    assertThat(slowRetryEvents).singleElement().satisfies(event -> {
      assertThat(event.getEventType()).isEqualTo(RetryEvent.Type.ERROR);
      assertThat(RetryStoppedException.of(event.getLastThrowable()).orElseThrow().reason())
          .isEqualTo(StopReason.DEADLINE_BUDGET);
    });
  }

  @Test
  void everyAttemptShowsInTheEventsAndMetricsOfInstancesFromTheApplicationsRegistries() {
    Retry retry = RetryRegistry.of(BudgetAwareRetry.config(THREE_ATTEMPTS)).retry("flaky-from-registries");
    CircuitBreaker breaker = CircuitBreakerRegistry.ofDefaults().circuitBreaker("flaky-from-registries");
    TimeLimiter limiter = TimeLimiterRegistry.of(TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(1))
        .build()).timeLimiter("flaky-from-registries");
    List<String> events = new CopyOnWriteArrayList<>();
    limiter.getEventPublisher().onEvent(event -> events.add("limiter " + event.getEventType()));
    breaker.getEventPublisher().onEvent(event -> events.add("breaker " + event.getEventType()));
    retry.getEventPublisher().onEvent(event -> events.add("retry " + event.getEventType()));
    Channel channel = guarded(flakyChannel, Tier.CACHE, "test.Flaky", DownstreamGuard.builder("flaky")
        .retry(retry).timeLimiter(limiter).circuitBreaker(breaker).build());

    try (CancellableCtx request = origin(Duration.ofSeconds(5)); Scope s = request.makeCurrent()) {
      assertThat(call(channel, FLAKY, "registries")).isEqualTo("ok:registries");
    }

    assertThat(attemptHeaders.get("registries")).containsExactly("1", "2", "3");
    assertThat(events).containsExactly(
        "limiter ERROR", "breaker ERROR", "retry RETRY",
        "limiter ERROR", "breaker ERROR", "retry RETRY",
        "limiter SUCCESS", "breaker SUCCESS", "retry SUCCESS");
    assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    assertThat(retry.getMetrics().getNumberOfTotalCalls()).isEqualTo(3);
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
  }

  @Test
  void chainOfThreeRetryingHopsCallsTheFailingLeafOnlyAsOftenAsTheOriginAllows() {
    try (CancellableCtx request = origin(Duration.ofSeconds(4)); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> call(toHopA, HOP_A, "default-rule")).isInstanceOf(StatusRuntimeException.class);
    }
    assertThat(leafCalls.get("default-rule")).hasValue(3); // not 3 x 3 x 3
  }

  @Test
  void withoutTheAmplificationRuleTheRetriesMultiply() {
    try (CancellableCtx request = origin(Duration.ofSeconds(4)); Scope s = request.makeCurrent()) {
      assertThatThrownBy(() -> call(toHopA, HOP_A, "every-hop")).isInstanceOf(StatusRuntimeException.class);
    }
    assertThat(leafCalls.get("every-hop")).hasValue(27);
  }

  @Test
  void burstOfFailingRequestsRetriesWithinTheRetryBudget() throws Exception {
    Server leaf = Loopback.serve(LEAF, Tier.CACHE, (request, headers) -> {
      leafCalls.computeIfAbsent("burst", r -> new AtomicInteger()).incrementAndGet();
      throw Status.UNAVAILABLE.withDescription("leaf down").asRuntimeException();
    });
    double ratio = 0.1;
    int floorPerSecond = 1;
    Duration window = Duration.ofSeconds(10);
    // A service-tier callee (3 s cap, not the cache's 800 ms): 60 concurrent calls on a loaded machine
    // must end on the retry budget, not on a deadline.
    Channel toLeaf = guarded(channel(leaf), Tier.SERVICE, "test.Leaf", guard("leaf")
        .retryBudget(RetryBudget.builder().ratio(ratio).minRetriesPerSecond(floorPerSecond).window(window).build())
        .build());
    int requests = 60;
    List<com.google.common.util.concurrent.ListenableFuture<String>> calls = new ArrayList<>();
    try (CancellableCtx request = origin(Duration.ofSeconds(4)); Scope s = request.makeCurrent()) {
      for (int i = 0; i < requests; i++) {
        calls.add(ClientCalls.futureUnaryCall(toLeaf.newCall(LEAF, CallOptions.DEFAULT), "burst"));
      }
      for (var call : calls) {
        assertThatThrownBy(call::get).hasCauseInstanceOf(StatusRuntimeException.class);
      }
    }
    int retries = leafCalls.get("burst").get() - requests;
    assertThat(retries).isLessThanOrEqualTo((int) (ratio * requests + floorPerSecond * window.toSeconds()));
    assertThat(retries).isPositive();
  }

  @Test
  void openBreakerServesTheFallbackMarkedDegradedAndRecoversAfterTheWait() {
    AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Channel capturing = ClientInterceptors.intercept(toFragile,
        MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers));
    try (CancellableCtx request = origin(Duration.ofSeconds(3)); Scope s = request.makeCurrent()) {
      call(capturing, FRAGILE, "a");
      call(capturing, FRAGILE, "b");
      assertThat(fragileGuard.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.OPEN);
      int before = fragileCalls.get();

      assertThat(call(capturing, FRAGILE, "c")).isEqualTo("stale");
      assertThat(responseHeaders.get().get(ResilienceClientInterceptor.DEGRADED)).isEqualTo("circuit_open");
      assertThat(fragileCalls).hasValue(before);

      fragileUp = true;
      breakerTime.advance(Duration.ofSeconds(30).plusMillis(1));
      assertThat(call(capturing, FRAGILE, "d")).isEqualTo("fresh");
      assertThat(responseHeaders.get().get(ResilienceClientInterceptor.DEGRADED)).isNull();
      assertThat(fragileGuard.circuitBreaker().orElseThrow().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
  }
}
