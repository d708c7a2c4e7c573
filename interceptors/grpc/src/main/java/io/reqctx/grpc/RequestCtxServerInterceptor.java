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
    return ServerCallBinding.start(inbound, callContext, call, headers, next);
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
