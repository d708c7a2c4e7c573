package io.reqctx.armeria;

import com.linecorp.armeria.common.RequestContext;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.RequestCtx;
import org.jspecify.annotations.Nullable;

/**
 * Ties a reqctx OpenTelemetry {@link Context} to an Armeria {@link RequestContext}: a context hook
 * attaches it (through {@link RequestCtx#attach}, so the MDC and the leak checks apply) whenever
 * Armeria pushes the request context — in the service, in its event loop callbacks, in {@code
 * blockingTaskExecutor()} tasks — and detaches it when Armeria pops it; an attribute keeps it for
 * client decorators that run where no reqctx context is current.
 */
final class ArmeriaContexts {
  /** The reqctx OpenTelemetry context of the request a {@link ServiceRequestContext} serves. */
  static final AttributeKey<Context> CONTEXT = AttributeKey.valueOf(ArmeriaContexts.class, "CONTEXT");

  private ArmeriaContexts() {}

  /** Makes {@code context} current whenever {@code armeriaCtx} is pushed from now on. */
  @SuppressWarnings("MustBeClosedChecker") // Armeria closes what the hook returns when it pops the context
  static void hook(RequestContext armeriaCtx, Context context) {
    armeriaCtx.hook(() -> RequestCtx.attach(context));
  }

  /**
   * Like {@link #hook(RequestContext, Context)}, and also attaches {@code grpcContext} (the gRPC call's
   * context with the reqctx deadline and cancellation) so plain grpc stubs used in Armeria callbacks
   * inherit them.
   */
  @SuppressWarnings("MustBeClosedChecker") // Armeria closes what the hook returns when it pops the context
  static void hook(RequestContext armeriaCtx, Context context, io.grpc.Context grpcContext) {
    armeriaCtx.hook(() -> {
      // OpenTelemetry's context first, grpc's on top (as the gRPC server binding does): with grpc's
      // context storage backed by OpenTelemetry's, the other order would hide the grpc context.
      Scope scope = RequestCtx.attach(context);
      io.grpc.Context previous = grpcContext.attach();
      return () -> {
        grpcContext.detach(previous);
        scope.close();
      };
    });
  }

  /**
   * Makes reqctx the one owner of the request's deadline: when the ctx has a deadline (which already
   * includes Armeria's request timeout: reqctx may shorten it, never extend it), Armeria's own timeout
   * is cleared, so that a single timer ends the request and its outcome never depends on which of two
   * timers fired first. Without a deadline (a long-lived route), Armeria's timeout is left as it is.
   */
  static void takeOverRequestTimeout(ServiceRequestContext armeriaCtx, RequestCtx ctx) {
    if (ctx.deadline().isPresent()) {
      armeriaCtx.clearRequestTimeout();
    }
  }

  /**
   * The reqctx context of the service request above {@code armeriaCtx} (itself, or a client
   * context's root), or null.
   */
  static @Nullable Context stored(RequestContext armeriaCtx) {
    return armeriaCtx.attr(CONTEXT);
  }
}
