package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.reqctx.CtxObserver;
import io.reqctx.Outcome;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.internal.telemetry.TelemetryAttributes;
import io.reqctx.testing.FakeTicker;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every call shape (unary, server-streaming, client-streaming, bidi) against every way a call ends
 * (reqctx's deadline, the client's deadline, a client cancel mid-stream, a handler that throws, a
 * long-lived method outliving its tier's cap), on one server per subclass (a grpc-java Netty server,
 * Armeria's {@code GrpcService}). Each case checks what the handler observes through grpc's API, what
 * the client gets, the scope's outcome, the SERVER span and the {@code reqctx.cancellations} metric.
 *
 * <p>Three services share one handler: {@code shapes.Probe} on a scope ticker the test moves (so
 * reqctx's deadline fires exactly when the test says), {@code shapes.Watch} the same with every method
 * declared long-lived, and {@code shapes.Real} on the system ticker (for the client's own deadline,
 * where the client's, grpc's and reqctx's timers all run in real time).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class CallShapesContract {
  /** The tier cap on the test-driven ticker: reqctx ends a non-long-lived call when the test moves past it. */
  protected static final Duration CAP = Duration.ofSeconds(2);
  private static final Duration CLIENT_DEADLINE = Duration.ofMillis(600);
  private static final long WAIT_SECONDS = 20;

  /** The four call shapes. */
  public enum Shape {
    UNARY(MethodType.UNARY),
    SERVER_STREAMING(MethodType.SERVER_STREAMING),
    CLIENT_STREAMING(MethodType.CLIENT_STREAMING),
    BIDI_STREAMING(MethodType.BIDI_STREAMING);

    final MethodType type;

    Shape(MethodType type) {
      this.type = type;
    }

    /** Unary and server-streaming handlers block until their call ends; the streaming-request ones react. */
    boolean blockingHandler() {
      return type.clientSendsOneMessage();
    }
  }

  /** How the call ends, and what everybody must see. */
  public enum Scenario {
    DEADLINE_ENFORCED_BY_REQCTX("shapes.Probe", Status.Code.DEADLINE_EXCEEDED, Outcome.DEADLINE_EXCEEDED),
    CLIENT_DEADLINE("shapes.Real", Status.Code.DEADLINE_EXCEEDED, Outcome.DEADLINE_EXCEEDED),
    CLIENT_CANCEL_MID_STREAM("shapes.Probe", Status.Code.CANCELLED, Outcome.CANCELLED),
    HANDLER_THROWS("shapes.Probe", Status.Code.UNKNOWN, Outcome.ERROR),
    LONG_LIVED_METHOD("shapes.Watch", Status.Code.OK, Outcome.OK);

    final String service;
    final Status.Code clientSees;
    final Outcome scopeOutcome;

    Scenario(String service, Status.Code clientSees, Outcome scopeOutcome) {
      this.service = service;
      this.clientSees = clientSees;
      this.scopeOutcome = scopeOutcome;
    }

    boolean handlerSeesCancel() {
      return this != HANDLER_THROWS && this != LONG_LIVED_METHOD;
    }
  }

  /** What one call's handler observed through grpc's API. */
  static final class Probe {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch grpcContextCancelled = new CountDownLatch(1);
    final CountDownLatch cancelSeen = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch unblock = new CountDownLatch(1); // the context was cancelled, or the test released the call
    final CountDownLatch finished = new CountDownLatch(1);
    volatile @Nullable String requestId;
    volatile @Nullable String spanId;
    volatile @Nullable Boolean isCancelledWhenCancelSeen;
    volatile @Nullable Status requestObserverError;
    volatile @Nullable Status sendAfterCancel;
    volatile boolean completedNormally;
    volatile boolean contextCancelledBeforeTheEnd;
  }

  protected final FakeTicker ticker = new FakeTicker();
  protected final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metricReader = InMemoryMetricReader.create();
  protected final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metricReader).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private final Map<String, Probe> probes = new ConcurrentHashMap<>();
  private final Map<String, Outcome> scopeOutcomes = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private CtxObserver.Registration scopeEnds;

  /** A tier used by this class only, with cap {@link #CAP}, so its metrics count this class's calls. */
  protected abstract Tier tier();

  /** Starts the server with {@code services} (each already intercepted) and returns a channel to it. */
  protected abstract Channel startServer(List<ServerServiceDefinition> services);

  /** Stops what {@link #startServer} started. */
  protected abstract void stopServer() throws Exception;

  /** The reqctx interceptor of the server under test for {@code config}. */
  protected abstract ServerInterceptor reqctxInterceptor(ServerConfig config);

  private Channel channel;

  @BeforeAll
  void startAll() throws Exception {
    scopeEnds = CtxObserver.register(new CtxObserver() {
      @Override
      public void onClose(CtxEnd end) {
        scopeOutcomes.put(end.ctx().requestId(), end.outcome());
      }
    });
    ServerConfig.Builder onTestTicker = ServerConfig.builder(tier(), Trust.TRUSTED).openTelemetry(otel).ticker(ticker);
    ServerConfig.Builder watch = ServerConfig.builder(tier(), Trust.TRUSTED).openTelemetry(otel).ticker(ticker);
    for (Shape shape : Shape.values()) {
      watch.longLivedMethod(method("shapes.Watch", shape).getFullMethodName());
    }
    ServerConfig real = ServerConfig.builder(tier(), Trust.TRUSTED).openTelemetry(otel).build();
    channel = startServer(List.of(
        ServerInterceptors.intercept(service("shapes.Probe"), reqctxInterceptor(onTestTicker.build())),
        ServerInterceptors.intercept(service("shapes.Watch"), reqctxInterceptor(watch.build())),
        ServerInterceptors.intercept(service("shapes.Real"), reqctxInterceptor(real))));
    // Warm up the connection and the classes on every path, so that no case pays for them.
    for (String service : List.of("shapes.Probe", "shapes.Real")) {
      String id = "warm-up/" + service;
      assertThat(ClientCalls.blockingUnaryCall(channel, method(service, Shape.UNARY), CallOptions.DEFAULT, id)).isEqualTo("ok");
    }
  }

  @AfterAll
  void stopAll() throws Exception {
    stopServer();
    scopeEnds.close();
    otel.close();
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (Scenario scenario : Scenario.values()) {
      for (Shape shape : Shape.values()) {
        cases.add(Arguments.of(shape, scenario));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} x {1}")
  @MethodSource("cases")
  void callEndsTheSameWayForHandlerClientScopeSpanAndMetric(Shape shape, Scenario scenario) throws Exception {
    String id = scenario.name().toLowerCase() + "/" + shape.name().toLowerCase() + "/" + ids.incrementAndGet();
    Probe probe = probes.computeIfAbsent(id, i -> new Probe());
    Map<String, Long> cancellationsBefore = cancellations();

    Client client = Client.start(channel, method(scenario.service, shape), id, scenario == Scenario.CLIENT_DEADLINE);
    if (scenario != Scenario.HANDLER_THROWS && scenario != Scenario.CLIENT_DEADLINE) {
      assertThat(probe.started.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("handler started").isTrue();
      client.awaitFirstResponse(shape);
    }
    switch (scenario) {
      case DEADLINE_ENFORCED_BY_REQCTX -> ticker.advance(CAP);
      case CLIENT_CANCEL_MID_STREAM -> client.cancel();
      case LONG_LIVED_METHOD -> {
        ticker.advance(CAP.multipliedBy(10)); // far past the tier's cap: a long-lived call goes on
        assertThat(client.status).as("still running after 10x the tier's cap").isNotDone();
        client.finish(shape, probe);
      }
      default -> { }
    }

    // What the client gets.
    Status status = client.status.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(status.getCode()).as("client status %s", status).isEqualTo(scenario.clientSees);

    // What the handler observed through grpc's API.
    if (scenario.handlerSeesCancel()) {
      assertThat(probe.grpcContextCancelled.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("io.grpc.Context cancelled").isTrue();
      assertThat(probe.cancelSeen.await(WAIT_SECONDS, TimeUnit.SECONDS))
          .as(shape.blockingHandler() ? "onCancelHandler ran" : "request observer got onError").isTrue();
      assertThat(probe.isCancelledWhenCancelSeen).as("ServerCallStreamObserver.isCancelled()").isTrue();
      if (!shape.blockingHandler()) {
        assertThat(probe.requestObserverError.getCode()).as("request observer onError").isEqualTo(Status.Code.CANCELLED);
        if (shape == Shape.BIDI_STREAMING) {
          assertThat(probe.sendAfterCancel).as("a send after the cancel is refused, as grpc refuses it").isNotNull();
          assertThat(probe.sendAfterCancel.getCode()).isEqualTo(Status.Code.CANCELLED);
        } else {
          assertThat(probe.sendAfterCancel).as("grpc drops a late single response without throwing").isNull();
        }
      }
    } else if (scenario == Scenario.LONG_LIVED_METHOD) {
      assertThat(probe.finished.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(probe.completedNormally).isTrue();
      assertThat(probe.cancelSeen.getCount()).as("no cancel").isEqualTo(1);
      assertThat(probe.contextCancelledBeforeTheEnd).as("the call's context was live until the end").isFalse();
    }

    // The scope's outcome, the span and the metric.
    eventually().until(() -> probe.requestId != null
        && scopeOutcomes.containsKey(probe.requestId));
    Outcome outcome = scopeOutcomes.get(probe.requestId);
    if (scenario == Scenario.CLIENT_DEADLINE) {
      // The client's reset and this hop's own deadline (the same instant, counted from when the call
      // arrived) race: the reset counts as the deadline when it comes within 50 ms of it, but a loaded
      // machine can delay the call's arrival by more than that. Either way the three records agree.
      assertThat(outcome).as("scope outcome").isIn(Outcome.DEADLINE_EXCEEDED, Outcome.CANCELLED);
    } else {
      assertThat(outcome).as("scope outcome").isEqualTo(scenario.scopeOutcome);
    }
    SpanData span = serverSpan(probe);
    assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("reqctx.outcome")))
        .isEqualTo(outcome.attributeValue());
    assertThat(span.getStatus().getStatusCode()).isEqualTo(outcome == Outcome.OK ? StatusCode.UNSET : StatusCode.ERROR);
    Map<String, Long> added = difference(cancellations(), cancellationsBefore);
    assertThat(added).as("reqctx.cancellations added for tier %s", tier().name())
        .isEqualTo(outcome == Outcome.OK ? Map.of() : Map.of(reasonOf(outcome), 1L));
  }

  /** The {@code reqctx.reason} of {@code reqctx.cancellations} for a scope that ended with {@code outcome}. */
  private static String reasonOf(Outcome outcome) {
    return switch (outcome) {
      case DEADLINE_EXCEEDED -> "deadline";
      case CANCELLED -> "cancelled";
      default -> "error";
    };
  }

  private static org.awaitility.core.ConditionFactory eventually() {
    return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(WAIT_SECONDS));
  }

  private SpanData serverSpan(Probe probe) {
    eventually().until(() -> spans.getFinishedSpanItems().stream()
        .anyMatch(s -> s.getSpanId().equals(probe.spanId)));
    return spans.getFinishedSpanItems().stream().filter(s -> s.getSpanId().equals(probe.spanId)).findFirst().orElseThrow();
  }

  private Map<String, Long> cancellations() {
    Map<String, Long> byReason = new java.util.HashMap<>();
    for (MetricData metric : metricReader.collectAllMetrics()) {
      if (!metric.getName().equals("reqctx.cancellations")) {
        continue;
      }
      metric.getLongSumData().getPoints().forEach(point -> {
        Attributes attributes = point.getAttributes();
        if (tier().name().equals(attributes.get(TelemetryAttributes.TIER))) {
          byReason.merge(attributes.get(TelemetryAttributes.REASON), point.getValue(), Long::sum);
        }
      });
    }
    return byReason;
  }

  private static Map<String, Long> difference(Map<String, Long> after, Map<String, Long> before) {
    Map<String, Long> added = new java.util.HashMap<>();
    after.forEach((reason, count) -> {
      long delta = count - before.getOrDefault(reason, 0L);
      if (delta != 0) {
        added.put(reason, delta);
      }
    });
    return added;
  }

  // ---- the client side of one call ----

  /** One call from the client's side: its final status, the first response, a way to cancel it. */
  private static final class Client implements ClientResponseObserver<String, String> {
    final CompletableFuture<Status> status = new CompletableFuture<>();
    final CountDownLatch firstResponse = new CountDownLatch(1);
    volatile @Nullable ClientCallStreamObserver<String> requests;
    volatile @Nullable ClientCall<String, String> call;

    static Client start(Channel channel, MethodDescriptor<String, String> method, String id, boolean withDeadline) {
      CallOptions options = withDeadline
          ? CallOptions.DEFAULT.withDeadlineAfter(CLIENT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          : CallOptions.DEFAULT;
      Client client = new Client();
      ClientCall<String, String> call = channel.newCall(method, options);
      client.call = call;
      switch (method.getType()) {
        case UNARY -> ClientCalls.asyncUnaryCall(call, id, client);
        case SERVER_STREAMING -> ClientCalls.asyncServerStreamingCall(call, id, client);
        case CLIENT_STREAMING -> ClientCalls.asyncClientStreamingCall(call, client).onNext(id);
        default -> ClientCalls.asyncBidiStreamingCall(call, client).onNext(id);
      }
      return client;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<String> requestStream) {
      requests = requestStream;
    }

    @Override
    public void onNext(String value) {
      firstResponse.countDown();
    }

    @Override
    public void onError(Throwable t) {
      status.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      status.complete(Status.OK);
    }

    /** Streaming responses start with one message: wait for it, so a cancel really comes mid-stream. */
    void awaitFirstResponse(Shape shape) throws InterruptedException {
      if (shape.type.serverSendsOneMessage()) {
        return;
      }
      assertThat(firstResponse.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("first response").isTrue();
    }

    void cancel() {
      ClientCallStreamObserver<String> stream = requests;
      if (stream != null) {
        stream.cancel("the client gives up", null);
      } else {
        call.cancel("the client gives up", null);
      }
    }

    /** Ends a long-lived call normally: streaming requests half-close, the others are released. */
    void finish(Shape shape, Probe probe) {
      if (shape.type.clientSendsOneMessage()) {
        probe.release.countDown();
        probe.unblock.countDown();
      } else {
        requests.onCompleted();
      }
    }
  }

  // ---- the server side: one handler for every shape and scenario ----

  protected static MethodDescriptor<String, String> method(String service, Shape shape) {
    return TestRpc.method(service + "/" + shape.name(), shape.type);
  }

  private ServerServiceDefinition service(String name) {
    return ServerServiceDefinition.builder(name)
        .addMethod(method(name, Shape.UNARY), ServerCalls.asyncUnaryCall(this::unary))
        .addMethod(method(name, Shape.SERVER_STREAMING), ServerCalls.asyncServerStreamingCall(this::serverStreaming))
        .addMethod(method(name, Shape.CLIENT_STREAMING), ServerCalls.asyncClientStreamingCall(this::requestStreaming))
        .addMethod(method(name, Shape.BIDI_STREAMING), ServerCalls.asyncBidiStreamingCall(this::requestStreaming))
        .build();
  }

  private Probe started(String id) {
    Probe probe = probes.computeIfAbsent(id, i -> new Probe());
    probe.requestId = RequestCtx.current().requestId();
    probe.spanId = Span.current().getSpanContext().getSpanId();
    io.grpc.Context.current().addListener(context -> {
      probe.grpcContextCancelled.countDown();
      probe.unblock.countDown();
    }, Runnable::run);
    probe.started.countDown();
    return probe;
  }

  private void unary(String id, StreamObserver<String> responses) {
    blockingHandler(id, (ServerCallStreamObserver<String>) responses, false);
  }

  private void serverStreaming(String id, StreamObserver<String> responses) {
    blockingHandler(id, (ServerCallStreamObserver<String>) responses, true);
  }

  /**
   * Unary and server-streaming: sets a cancel handler, then blocks (as handlers doing blocking work
   * do) until the call's {@code io.grpc.Context} is cancelled or the test releases it.
   */
  private void blockingHandler(String id, ServerCallStreamObserver<String> responses, boolean streaming) {
    if (id.startsWith("warm-up")) {
      responses.onNext("ok");
      responses.onCompleted();
      return;
    }
    Probe probe = started(id);
    responses.setOnCancelHandler(() -> {
      probe.isCancelledWhenCancelSeen = responses.isCancelled();
      probe.cancelSeen.countDown();
    });
    if (streaming) {
      responses.onNext("first");
    }
    if (id.startsWith("handler_throws")) {
      throw new IllegalStateException("handler bug in " + id);
    }
    await(probe.unblock);
    if (probe.release.getCount() == 0 && probe.grpcContextCancelled.getCount() == 1) {
      probe.contextCancelledBeforeTheEnd = io.grpc.Context.current().isCancelled();
      responses.onNext("done");
      responses.onCompleted();
      probe.completedNormally = true;
    }
    probe.finished.countDown();
  }

  /**
   * Client-streaming and bidi: answers the first message (bidi), throws from {@code onNext} when told,
   * completes on half-close; on {@code onError} records what grpc said and tries one more send. No
   * cancel handler, so grpc's stub refuses that send as it does after any cancel.
   */
  private StreamObserver<String> requestStreaming(StreamObserver<String> responses) {
    ServerCallStreamObserver<String> serverResponses = (ServerCallStreamObserver<String>) responses;
    return new StreamObserver<>() {
      volatile @Nullable Probe probe;

      @Override
      public void onNext(String id) {
        if (probe != null) {
          return;
        }
        Probe started = started(id);
        probe = started;
        if (id.startsWith("handler_throws")) {
          throw new IllegalStateException("handler bug in " + id);
        }
        if (id.contains("bidi")) {
          responses.onNext("first");
        }
      }

      @Override
      public void onError(Throwable t) {
        Probe started = probe;
        if (started == null) {
          return;
        }
        started.requestObserverError = Status.fromThrowable(t);
        started.isCancelledWhenCancelSeen = serverResponses.isCancelled();
        try {
          responses.onNext("late");
        } catch (RuntimeException refused) {
          started.sendAfterCancel = Status.fromThrowable(refused);
        }
        started.cancelSeen.countDown();
        started.finished.countDown();
      }

      @Override
      public void onCompleted() {
        Probe started = probe;
        if (started != null) {
          started.contextCancelledBeforeTheEnd = io.grpc.Context.current().isCancelled();
        }
        responses.onNext("done");
        responses.onCompleted();
        if (started != null) {
          started.completedNormally = true;
          started.finished.countDown();
        }
      }
    };
  }

  /** Waits until the latch opens; bounded, so that a case that hangs fails instead. */
  private static void await(CountDownLatch latch) {
    try {
      latch.await(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
