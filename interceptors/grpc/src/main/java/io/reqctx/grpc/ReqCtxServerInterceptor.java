package io.reqctx.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.reqctx.transport.ServerConfig;

/**
 * The grpc-java server side of reqctx. The interceptor opens one {@link io.reqctx.RequestScope} per
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
 *         ReqCtxServerInterceptor.create(ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).build())))
 *     .addStreamTracerFactory(ReqCtxServerInterceptor.malformedTimeoutFilter())
 *     .build();
 * }</pre>
 */
public final class ReqCtxServerInterceptor {

  private ReqCtxServerInterceptor() {}

  /** A thread-safe interceptor applying {@code config} to every call; register it once per server. */
  public static ServerInterceptor create(ServerConfig config) {
    return new InboundInterceptor(requireNonNull(config, "config"));
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
}
