package io.reqctx.bench.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptor;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.bench.grpc.GrpcStacks.Endpoint;
import io.reqctx.bench.grpc.GrpcStacks.Transport;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One blocking unary call (a short string each way), or one server-streaming call of {@value
 * #STREAMED} short messages read to the end, client and server in the same JVM, per
 * {@code transport}: in-process on the direct executor (everything on the calling thread) or Netty on
 * 127.0.0.1 with grpc's default executors. Variants, named {@code <operation>_<library>} for
 * {@code ratios.py}; each runs in its own forks, so only its own stack is built and JIT-compiled:
 *
 * <ul>
 *   <li>{@code unary_grpc} — bare grpc-java, no interceptor;
 *   <li>{@code unary_otel} — OpenTelemetry's gRPC instrumentation ({@code opentelemetry-grpc-1.6},
 *       client and server interceptors: spans and RPC metrics);
 *   <li>{@code unary_reqctx} — reqctx's client and server interceptors and its malformed-timeout
 *       stream filter: deadline (budget, {@code grpc-timeout}, server-side alarm), request id, trace
 *       (reqctx creates the CLIENT and SERVER spans), one typed propagated value, metrics;
 *   <li>{@code unaryDeadline_otel} — OpenTelemetry's instrumentation on calls with a deadline (the
 *       service tier's cap, what reqctx's calls here are sent with): grpc-java's own deadline timers;
 *   <li>{@code unaryOnOtel_reqctx} — OpenTelemetry's instrumentation plus reqctx in
 *       {@link SpanMode#ENRICH} behind it (what a service already running the instrumentation adds);
 *   <li>{@code stream100_grpc}, {@code stream100_otel}, {@code stream100_reqctx} — the same three
 *       stacks for the server-streaming call.
 * </ul>
 *
 * <p>Every variant runs the call with a caller context attached (the same scaffolding cost for all):
 * for reqctx the ctx of an open root scope with a one-hour budget and a tenant value, for the others
 * an OpenTelemetry context holding one value. All instrumented variants share one OpenTelemetry SDK
 * per fork that samples every span and records metrics ({@link GrpcStacks#discardingOpenTelemetry}).
 * Which context storage grpc uses depends on the jar: {@code reqctx-bench.jar} has grpc's own,
 * {@code reqctx-bench-otelstorage.jar} OpenTelemetry's (the instrumentation's override).
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GrpcCallOverheadBench {
  static final MethodDescriptor<String, String> ECHO = GrpcStacks.unary("bench.Echo/Call");
  static final MethodDescriptor<String, String> STREAM = GrpcStacks.serverStreaming("bench.Echo/Stream");
  static final int STREAMED = 100;
  /** The deadline of {@link #unaryDeadline_otel}: the service tier's cap, the budget reqctx's calls here get. */
  static final long DEADLINE_MILLIS = Tier.SERVICE.cap().toMillis();
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();
  private static final ContextKey<String> OTEL_VALUE = ContextKey.named("bench-caller");

  @Param({"INPROCESS", "NETTY"})
  public Transport transport;

  private Endpoint endpoint;
  private Channel channel;
  private CancellableCtx callerScope;
  private Context callerContext;
  private OpenTelemetrySdk otel;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) {
    String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
    otel = GrpcStacks.discardingOpenTelemetry();
    var service = GrpcStacks.service(ECHO, (request, responses) -> {
      responses.onNext("pong");
      responses.onCompleted();
    }, STREAM, (request, responses) -> {
      for (int i = 0; i < STREAMED; i++) {
        responses.onNext("pong");
      }
      responses.onCompleted();
    });
    GrpcTelemetry instrumentation = GrpcTelemetry.create(otel);
    callerContext = Context.root().with(OTEL_VALUE, "caller");
    switch (method.replace("stream100_", "unary_")) {
      case "unary_grpc" -> {
        endpoint = GrpcStacks.start(transport, service, List.of());
        channel = endpoint.channel();
      }
      case "unary_otel", "unaryDeadline_otel" -> {
        endpoint = GrpcStacks.start(transport, service, List.of(), instrumentation.createServerInterceptor());
        channel = ClientInterceptors.intercept(endpoint.channel(), instrumentation.createClientInterceptor());
      }
      case "unary_reqctx", "unaryOnOtel_reqctx" -> {
        boolean onOtel = method.equals("unaryOnOtel_reqctx");
        SpanMode spans = onOtel ? SpanMode.ENRICH : SpanMode.CREATE;
        ServerInterceptor reqctxServer = RequestCtxServerInterceptor.create(
            ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).acceptedKeys(TENANT).openTelemetry(otel).spans(spans).build());
        var reqctxClient = RequestCtxClientInterceptor.create(
            ClientConfig.builder(Tier.SERVICE).trusted(true).openTelemetry(otel).spans(spans).build());
        if (onOtel) {
          // The last interceptor runs first: OpenTelemetry's, so its span is current for reqctx's.
          endpoint = GrpcStacks.start(transport, service, List.of(RequestCtxServerInterceptor.malformedTimeoutFilter()),
              reqctxServer, instrumentation.createServerInterceptor());
          channel = ClientInterceptors.intercept(endpoint.channel(), reqctxClient, instrumentation.createClientInterceptor());
        } else {
          endpoint = GrpcStacks.start(transport, service, List.of(RequestCtxServerInterceptor.malformedTimeoutFilter()),
              reqctxServer);
          channel = ClientInterceptors.intercept(endpoint.channel(), reqctxClient);
        }
        callerScope = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofHours(1))
            .requestId("0123456789abcdef0123456789abcdef").value(TENANT, "acme").open();
        callerContext = Context.root().with(callerScope.ctx());
      }
      default -> throw new IllegalStateException("no stack for " + method);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    if (callerScope != null) {
      callerScope.close();
    }
    endpoint.close();
    otel.close();
  }

  private String call() {
    return call(CallOptions.DEFAULT);
  }

  private String call(CallOptions options) {
    try (Scope ignored = callerContext.makeCurrent()) {
      return ClientCalls.blockingUnaryCall(channel, ECHO, options, "ping");
    }
  }

  private int stream() {
    int received = 0;
    try (Scope ignored = callerContext.makeCurrent()) {
      var responses = ClientCalls.blockingServerStreamingCall(channel, STREAM, CallOptions.DEFAULT, "ping");
      while (responses.hasNext()) {
        responses.next();
        received++;
      }
    }
    if (received != STREAMED) {
      throw new IllegalStateException("received " + received + " of " + STREAMED + " messages");
    }
    return received;
  }

  @Benchmark
  public int stream100_grpc() {
    return stream();
  }

  @Benchmark
  public int stream100_otel() {
    return stream();
  }

  @Benchmark
  public int stream100_reqctx() {
    return stream();
  }

  @Benchmark
  public String unary_grpc() {
    return call();
  }

  @Benchmark
  public String unary_otel() {
    return call();
  }

  /** OpenTelemetry's instrumentation on a call with a deadline, as reqctx's calls have: grpc-java's own deadline timers. */
  @Benchmark
  public String unaryDeadline_otel() {
    return call(CallOptions.DEFAULT.withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS));
  }

  @Benchmark
  public String unary_reqctx() {
    return call();
  }

  @Benchmark
  public String unaryOnOtel_reqctx() {
    return call();
  }
}
