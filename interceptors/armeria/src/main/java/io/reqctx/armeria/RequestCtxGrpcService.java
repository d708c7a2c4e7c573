package io.reqctx.armeria;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.RequestTimeoutException;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.GrpcServiceBuilder;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.context.Context;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.grpc.internal.NeverFiringScheduler;
import io.reqctx.transport.ServerConfig;
import io.reqctx.internal.wire.GrpcTimeout;
import io.reqctx.internal.wire.WireHeaders;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Wires reqctx into an Armeria {@code GrpcService}, so that gRPC services hosted by Armeria get the
 * same scope as on a plain grpc-java server: {@link RequestCtxServerInterceptor} opens the scope from
 * {@code grpc-timeout} and the reqctx metadata, runs every listener callback with the ctx and an {@link
 * io.grpc.Context} carrying the same deadline and cancellation (Armeria does not put the caller's
 * deadline into {@link io.grpc.Context} by itself), and closes the call with {@code
 * DEADLINE_EXCEEDED} or {@code CANCELLED} when the scope ends first. On top of that, for Armeria:
 *
 * <ul>
 *   <li>One owner per deadline: Armeria does not read {@code grpc-timeout} itself ({@code
 *       useClientTimeoutHeader(false)}) — reqctx reads it through its codec, so a malformed value is
 *       ignored as the wire format says instead of failing the call with {@code INVALID_ARGUMENT}, and
 *       a caller at an edge cannot stretch the server's own cap — and the request timeout Armeria has
 *       for the route is folded into the call's budget (reqctx may shorten it, never extend it) and
 *       then cleared, so reqctx's alarm is the call's only timer: a deadline always reaches the client
 *       as {@code DEADLINE_EXCEEDED} and the handler as {@code onCancel}. For a long-lived method,
 *       turn Armeria's request timeout off for the route ({@code requestTimeout(Duration.ZERO)}), as
 *       Armeria requires for any long stream, or its default (10 s) still bounds the call;
 *   <li>Armeria cancelling the request (the client reset the stream or went away) cancels the call's
 *       scope and {@link io.grpc.Context} at once, even while a blocking handler holds the call's
 *       executor;
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

  /**
   * Runs the reqctx interceptor inside a grpc context that stands for the Armeria request, as
   * grpc-java's server context does for its own calls: it carries Armeria's request deadline (read
   * only, never enforced) and is cancelled when Armeria cancels the request (the client reset the stream
   * or went away). reqctx folds that deadline into the call's budget and takes the request timeout over
   * from Armeria, so that its alarm is the one timer of the call. Then it links the opened scope to the
   * Armeria request context.
   */
  private static final class ArmeriaLinkedInterceptor implements ServerInterceptor {
    private static final Metadata.Key<String> GRPC_TIMEOUT =
        Metadata.Key.of(WireHeaders.GRPC_TIMEOUT, Metadata.ASCII_STRING_MARSHALLER);

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
      io.grpc.Context.CancellableContext request = requestContext(armeriaCtx, headers);
      armeriaCtx.clearRequestTimeout(); // reqctx's deadline, never later than Armeria's, is the one timer now
      io.grpc.Context previous = request.attach();
      try {
        return reqctx.interceptCall(call, headers, (scopedCall, scopedHeaders) -> {
          // Runs inside the scope reqctx just opened: its contexts are the current ones.
          Context context = Context.current();
          armeriaCtx.setAttr(ArmeriaContexts.CONTEXT, context);
          ArmeriaContexts.hook(armeriaCtx, context, io.grpc.Context.current());
          return next.startCall(scopedCall, scopedHeaders);
        });
      } finally {
        request.detach(previous);
      }
    }

    /**
     * A grpc context for the Armeria request, as grpc-java's server makes one for each call: its
     * deadline (carried, never fired) is the earlier of the caller's {@code grpc-timeout} and
     * Armeria's request timeout, both counted from the moment the request arrived, and it is cancelled
     * when Armeria cancels the request — with a {@link TimeoutException} for Armeria's timeout, as
     * grpc-java's deadline does, and a {@link CancellationException} when the client left.
     */
    private static io.grpc.Context.CancellableContext requestContext(ServiceRequestContext armeriaCtx, Metadata headers) {
      long elapsedNanos = Math.max(0, System.nanoTime() - armeriaCtx.log().partial().requestStartTimeNanos());
      long timeoutMillis = armeriaCtx.requestTimeoutMillis();
      OptionalLong fromArmeria = timeoutMillis > 0
          ? OptionalLong.of(TimeUnit.MILLISECONDS.toNanos(timeoutMillis) - elapsedNanos) : OptionalLong.empty();
      OptionalLong fromCaller = callerTimeoutNanos(headers);
      if (fromCaller.isPresent()) {
        fromCaller = OptionalLong.of(fromCaller.getAsLong() - elapsedNanos);
      }
      io.grpc.Context current = io.grpc.Context.current();
      io.grpc.Context.CancellableContext request;
      if (fromArmeria.isPresent() || fromCaller.isPresent()) {
        long remainingNanos = Math.min(fromArmeria.orElse(Long.MAX_VALUE), fromCaller.orElse(Long.MAX_VALUE));
        request = current.withDeadline(
            io.grpc.Deadline.after(remainingNanos, TimeUnit.NANOSECONDS), NeverFiringScheduler.INSTANCE);
      } else {
        request = current.withCancellation();
      }
      armeriaCtx.whenRequestCancelling().thenAccept(cause -> request.cancel(asCancellation(cause)));
      return request;
    }

    /** The caller's {@code grpc-timeout}, read with the reqctx codec; empty when absent, repeated or malformed. */
    private static OptionalLong callerTimeoutNanos(Metadata headers) {
      Iterable<String> values = headers.getAll(GRPC_TIMEOUT);
      if (values == null) {
        return OptionalLong.empty();
      }
      java.util.Iterator<String> iterator = values.iterator();
      String first = iterator.hasNext() ? iterator.next() : null;
      return first == null || iterator.hasNext() ? OptionalLong.empty() : GrpcTimeout.parseNanos(first);
    }

    private static Throwable asCancellation(Throwable cause) {
      Throwable reason = cause instanceof RequestTimeoutException
          ? new TimeoutException("reqctx: Armeria's request timeout passed")
          : new CancellationException("reqctx: Armeria cancelled the request (the client reset the stream or went away)");
      reason.initCause(cause);
      return reason;
    }

    @Override
    public String toString() {
      return "RequestCtxGrpcService[" + reqctx + "]";
    }
  }
}
