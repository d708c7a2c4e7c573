package io.reqctx.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.transport.InboundCall;
import io.reqctx.Rejection;
import io.reqctx.transport.ServerConfig;
import io.reqctx.internal.wire.GrpcTimeout;
import io.reqctx.internal.wire.WireHeaders;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The grpc-java server side of reqctx. The interceptor opens one {@link io.reqctx.CancellableCtx} per
 * call with the budget of the inbound rules ({@code grpc-timeout}, own tier cap, method budget), and
 * runs the handler and every listener callback with the ctx, the SERVER span and an {@link
 * io.grpc.Context} carrying the same deadline and cancellation current. The scope closes when the call
 * ends, whatever the outcome. Because the interceptor installs the {@link io.grpc.Context} deadline
 * itself, a plain grpc stub called in the handler inherits the budget on any server that runs grpc
 * interceptors (grpc-java's own, Armeria's {@code GrpcService}).
 *
 * <p>Every call shape is covered — unary, server-streaming, client-streaming, bidi — with the same
 * rules:
 *
 * <ul>
 *   <li>A call that reqctx ends (its deadline passed, its scope was cancelled) looks to the handler
 *       exactly like one that grpc-java's own deadline ends: {@code ServerCall.isCancelled()} and the
 *       {@code io.grpc.Context} turn cancelled, the listener gets {@code onCancel} (grpc's stubs run
 *       the {@code setOnCancelHandler} handler, give request observers {@code onError} and refuse later
 *       sends), nothing the handler still sends reaches the client, and the client gets {@code
 *       DEADLINE_EXCEEDED} for a deadline ({@code CANCELLED} for a cancel).
 *   <li>Streams are cut at the tier's cap like any call, unless the method is declared long-lived
 *       ({@link ServerConfig.Builder#longLivedMethod}, a long-lived {@code Callee} from the method
 *       budgets, or {@code long_lived} in the {@code .proto} budget option): then only the caller's
 *       deadline, and the method's own cap if it declares one, bound it.
 *   <li>A handler that throws (in {@code startCall} or any callback) ends the scope with outcome
 *       {@code ERROR}; grpc-java closes the call with {@code UNKNOWN} as it does without reqctx.
 * </ul>
 *
 * <p>Rejections never run the handler: no budget left on arrival closes the call with {@code
 * DEADLINE_EXCEEDED}, a hop count above the limit with {@code FAILED_PRECONDITION}; both with a
 * one-line description. Malformed reqctx, trace and request-id headers are ignored as if absent.
 *
 * <p>grpc-java's own transport parses {@code grpc-timeout} before any interceptor runs and resets the
 * stream with INTERNAL_ERROR on a malformed value; register {@link #malformedTimeoutFilter()} as a
 * stream tracer factory so that such a value is ignored instead, as the reqctx wire format says.
 *
 * <pre>{@code
 * Server server = ServerBuilder.forPort(8080)
 *     .addService(ServerInterceptors.intercept(orders,
 *         RequestCtxServerInterceptor.create(ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).build())))
 *     .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
 *     .build();
 * }</pre>
 */
public final class RequestCtxServerInterceptor implements ServerInterceptor {
  private final ServerConfig config;

  private RequestCtxServerInterceptor(ServerConfig config) {
    this.config = config;
  }

  /** A thread-safe interceptor applying {@code config} to every call; register it once per server. */
  public static RequestCtxServerInterceptor create(ServerConfig config) {
    return new RequestCtxServerInterceptor(requireNonNull(config, "config"));
  }

  /**
   * A stream tracer factory for grpc-java servers that removes a {@code grpc-timeout} header the
   * gRPC protocol grammar rejects (a sign, 9 or more digits, a bad or missing unit, empty, repeated)
   * before the transport reads it, so that the call runs with the server's own budget instead of
   * being reset with INTERNAL_ERROR. Stateless and thread-safe.
   */
  public static ServerStreamTracer.Factory malformedTimeoutFilter() {
    return new MalformedTimeoutFilter();
  }

  @Override
  @SuppressWarnings("MustBeClosedChecker") // the call is closed here on rejection, else by its binding
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Context callContext = Context.current();
    String method = call.getMethodDescriptor().getFullMethodName();
    HeaderReader reader = MetadataHeaders.reader(headers);
    InboundCall inbound = InboundCall.open(config, reader, method, inboundRemaining(reader, callContext));
    Rejection rejection = inbound.rejection();
    if (rejection != null) {
      try {
        call.close(GrpcStatuses.of(rejection), new Metadata());
      } finally {
        inbound.close();
      }
      return new ServerCall.Listener<>() {};
    }
    try {
      return ServerCallBinding.start(inbound, call, headers, next);
    } catch (RuntimeException | Error e) {
      inbound.close(); // idempotent: the binding closes it first when it got that far
      throw e;
    }
  }

  /**
   * The caller's remaining time: the earlier of {@code grpc-timeout} (read through the reqctx codec,
   * so a value the transport let through is still checked against the protocol grammar) and the
   * deadline the server already put on the call's {@link Context} (grpc-java does; Armeria does not).
   */
  private static @Nullable Duration inboundRemaining(HeaderReader headers, Context callContext) {
    OptionalLong fromHeader = GrpcTimeout.parseNanos(headers.single(WireHeaders.GRPC_TIMEOUT));
    io.grpc.Deadline fromContext = callContext.getDeadline();
    if (fromContext == null) {
      return fromHeader.isPresent() ? Duration.ofNanos(fromHeader.getAsLong()) : null;
    }
    long contextNanos = fromContext.timeRemaining(TimeUnit.NANOSECONDS);
    long nanos = fromHeader.isPresent() ? Math.min(fromHeader.getAsLong(), contextNanos) : contextNanos;
    return Duration.ofNanos(nanos);
  }

  @Override
  public String toString() {
    return "RequestCtxServerInterceptor[" + config.tier().name() + ", " + config.trust() + "]";
  }
}
