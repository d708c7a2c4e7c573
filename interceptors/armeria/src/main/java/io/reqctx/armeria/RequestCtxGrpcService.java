package io.reqctx.armeria;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.GrpcServiceBuilder;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.context.Context;
import io.reqctx.RequestCtx;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.transport.ServerConfig;

/**
 * Wires reqctx into an Armeria {@code GrpcService}, so that gRPC services hosted by Armeria get the
 * same scope as on a plain grpc-java server: {@link RequestCtxServerInterceptor} opens the scope from
 * {@code grpc-timeout} and the reqctx metadata, runs every listener callback with the ctx and an {@link
 * io.grpc.Context} carrying the same deadline and cancellation (Armeria does not put the caller's
 * deadline into {@link io.grpc.Context} by itself), and closes the call with {@code
 * DEADLINE_EXCEEDED} or {@code CANCELLED} when the scope ends first. On top of that, for Armeria:
 *
 * <ul>
 *   <li>Armeria's request timeout is set to the scope's deadline, and Armeria does not read {@code
 *       grpc-timeout} itself ({@code useClientTimeoutHeader(false)}): reqctx reads it through its
 *       codec, so a malformed value is ignored as the wire format says instead of failing the call
 *       with {@code INVALID_ARGUMENT}, and a caller at an edge cannot stretch the server's own cap;
 *   <li>the ctx, the MDC and the call's {@link io.grpc.Context} are current wherever Armeria pushes the
 *       request context (its event loop callbacks, {@code ctx.blockingTaskExecutor()} tasks, the
 *       blocking executor of {@code useBlockingTaskExecutor(true)});
 *   <li>{@link RequestCtxClient} finds the ctx of the call even on threads where it is not current.
 * </ul>
 *
 * <p>Call {@code configure} after your own {@code intercept(...)} calls: Armeria runs the last
 * interceptor first, and reqctx must run before interceptors that read the ctx.
 *
 * <pre>{@code
 * GrpcService grpc = RequestCtxGrpcService.configure(
 *         GrpcService.builder().addService(new OrdersImpl()).intercept(authInterceptor),
 *         ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(otel).build())
 *     .build();
 * Server.builder().service(grpc).build();
 * }</pre>
 */
public final class RequestCtxGrpcService {

  private RequestCtxGrpcService() {}

  /**
   * Adds the reqctx interceptor to {@code builder} and lets reqctx, not Armeria, read {@code
   * grpc-timeout}; returns {@code builder}.
   */
  public static GrpcServiceBuilder configure(GrpcServiceBuilder builder, ServerConfig config) {
    requireNonNull(builder, "builder");
    requireNonNull(config, "config");
    return builder.useClientTimeoutHeader(false).intercept(newInterceptor(config));
  }

  /**
   * The interceptor {@link #configure} adds, for builders configured elsewhere; pair it with {@code
   * useClientTimeoutHeader(false)}. On a plain grpc-java server it behaves as {@link
   * RequestCtxServerInterceptor}.
   */
  public static ServerInterceptor newInterceptor(ServerConfig config) {
    return new ArmeriaLinkedInterceptor(RequestCtxServerInterceptor.create(requireNonNull(config, "config")));
  }

  /** Runs the reqctx interceptor, then links the opened scope to the Armeria request context. */
  private static final class ArmeriaLinkedInterceptor implements ServerInterceptor {
    private final ServerInterceptor reqctx;

    ArmeriaLinkedInterceptor(ServerInterceptor reqctx) {
      this.reqctx = reqctx;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      ServiceRequestContext armeriaCtx = ServiceRequestContext.currentOrNull();
      if (armeriaCtx == null) {
        return reqctx.interceptCall(call, headers, next);
      }
      return reqctx.interceptCall(call, headers, (scopedCall, scopedHeaders) -> {
        // Runs inside the scope reqctx just opened: its contexts are the current ones.
        Context context = Context.current();
        armeriaCtx.setAttr(ArmeriaContexts.CONTEXT, context);
        ArmeriaContexts.hook(armeriaCtx, context, io.grpc.Context.current());
        ArmeriaContexts.alignRequestTimeout(armeriaCtx, RequestCtx.fromContext(context));
        return next.startCall(scopedCall, scopedHeaders);
      });
    }

    @Override
    public String toString() {
      return "RequestCtxGrpcService[" + reqctx + "]";
    }
  }
}
