package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import org.jspecify.annotations.Nullable;

/**
 * Server-side chaos for grpc-java and Armeria's {@code GrpcService}: the {@link ChaosRule.Side#SERVER}
 * rules of a {@link Chaos}, applied per full method name, around reqctx's server interceptor.
 *
 * <ul>
 *   <li>{@link Fault#cancelStorm}: after the drawn delay the call is cancelled as when its client
 *       resets the stream — the request's ctx ({@code RequestCtx.isCancelled()}, {@code onCancel}
 *       listeners), the call's {@code io.grpc.Context} and {@code ServerCall.isCancelled()} turn
 *       cancelled at once, the client gets {@code CANCELLED} with a description starting {@code
 *       reqctx-chaos:}, and the handler's listener gets {@code onCancel} (so grpc's stubs run the
 *       cancel handler) once its running callback returns;
 *   <li>{@link Fault#deadlineSkew}: {@code grpc-timeout} is rewritten before reqctx reads it. On a
 *       grpc-java server, whose transport reads {@code grpc-timeout} before any interceptor, also
 *       register {@link #deadlineSkewTracer}, or a longer budget stays capped by the transport's
 *       deadline;
 *   <li>{@link Fault#latency}: the handler starts after the delay (on the {@link Chaos}'s executor),
 *       inside the request's scope, so the delay uses the request's budget; a call cancelled meanwhile
 *       never starts its handler;
 *   <li>{@link Fault#valueLeak}: the request's ctx and the watched values are checked by {@link
 *       Chaos#checkValueLeaks} once the call ended.
 * </ul>
 *
 * <p>Register the returned interceptor <em>instead of</em> reqctx's (it runs reqctx's itself, in the
 * middle). Span events go to the span reqctx made current for the call.
 *
 * <pre>{@code
 * ServerInterceptor reqctx = RequestCtxServerInterceptor.create(serverConfig);
 * Server server = NettyServerBuilder.forPort(8080)
 *     .addService(ServerInterceptors.intercept(orders, ChaosServerInterceptor.wrap(chaos, reqctx)))
 *     .addStreamTracerFactory(ChaosServerInterceptor.deadlineSkewTracer(chaos))
 *     .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
 *     .build();
 * }</pre>
 */
public final class ChaosServerInterceptor implements ServerInterceptor {
  /** The plan the stream tracer made for a call, and the skew it applied, for the interceptor. */
  private static final Context.Key<TracerPlan> TRACER_PLAN = Context.key("reqctx-chaos-plan");

  private final Chaos chaos;
  private final ServerInterceptor reqctx;

  private ChaosServerInterceptor(Chaos chaos, ServerInterceptor reqctx) {
    this.chaos = chaos;
    this.reqctx = reqctx;
  }

  /**
   * An interceptor that applies {@code chaos} around {@code reqctx} (reqctx's server interceptor, or
   * {@code RequestCtxGrpcService.newInterceptor(config)} on Armeria).
   */
  public static ChaosServerInterceptor wrap(Chaos chaos, ServerInterceptor reqctx) {
    return new ChaosServerInterceptor(requireNonNull(chaos, "chaos"), requireNonNull(reqctx, "reqctx"));
  }

  /**
   * A stream tracer factory for grpc-java servers that applies the deadline skew of {@code chaos} to
   * {@code grpc-timeout} before grpc-java's transport reads it, so that the call's transport deadline
   * moves with the skew, longer or shorter. Register it with reqctx's {@code malformedTimeoutFilter()}, in either order.
   */
  public static ServerStreamTracer.Factory deadlineSkewTracer(Chaos chaos) {
    requireNonNull(chaos, "chaos");
    return new ServerStreamTracer.Factory() {
      @Override
      public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        Plan plan = chaos.plan(ChaosRule.Side.SERVER, fullMethodName, headers.get(BudgetHeaders.REQUEST_ID));
        BudgetHeaders.Skewed skewed = plan.deadlineSkew == null ? null : BudgetHeaders.skewGrpc(headers, plan.skew());
        TracerPlan decided = new TracerPlan(plan, skewed);
        return new ServerStreamTracer() {
          @Override
          public Context filterContext(Context context) {
            return context.withValue(TRACER_PLAN, decided);
          }
        };
      }
    };
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    TracerPlan fromTracer = TRACER_PLAN.get();
    Plan plan = fromTracer != null
        ? fromTracer.plan()
        : chaos.plan(ChaosRule.Side.SERVER, call.getMethodDescriptor().getFullMethodName(), headers.get(BudgetHeaders.REQUEST_ID));
    if (plan.isEmpty()) {
      return reqctx.interceptCall(call, headers, next);
    }
    return new ServerCallChaos<>(chaos, plan, call, headers, fromTracer == null ? null : fromTracer.skewed())
        .start(reqctx, next);
  }

  @Override
  public String toString() {
    return "ChaosServerInterceptor[" + chaos + " around " + reqctx + "]";
  }

  private record TracerPlan(Plan plan, BudgetHeaders.@Nullable Skewed skewed) {}
}
