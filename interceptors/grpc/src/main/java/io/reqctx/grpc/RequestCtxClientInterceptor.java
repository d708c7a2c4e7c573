package io.reqctx.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.context.Context;
import io.reqctx.RequestCtx;
import io.reqctx.transport.ClientConfig;
import io.reqctx.internal.transport.OutboundCall;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The grpc-java client side of reqctx. For each call made while a {@link io.reqctx.RequestCtx} is
 * current, the interceptor asks the {@link io.reqctx.BudgetPolicy} for the callee's budget: when it is
 * below the minimum viable budget the call is not sent and fails at once with {@code
 * DEADLINE_EXCEEDED} and a message giving the numbers; otherwise the call's deadline becomes the
 * earlier of its own and now + budget, the reqctx, request-id and trace headers are added, and
 * cancelling the ctx cancels the call.
 *
 * <pre>{@code
 * Channel cache = ClientInterceptors.intercept(
 *     ManagedChannelBuilder.forTarget("cache:443").build(),
 *     RequestCtxClientInterceptor.create(ClientConfig.builder(Tier.CACHE).trusted(true).build()));
 * }</pre>
 */
public final class RequestCtxClientInterceptor implements ClientInterceptor {
  private final ClientConfig config;

  private RequestCtxClientInterceptor(ClientConfig config) {
    this.config = config;
  }

  /** A thread-safe interceptor applying {@code config} to every call of a channel. */
  public static RequestCtxClientInterceptor create(ClientConfig config) {
    return new RequestCtxClientInterceptor(requireNonNull(config, "config"));
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    OutboundCall outbound = OutboundCall.prepare(config, Context.current(), method.getFullMethodName());
    Rejection rejection = outbound.rejection();
    if (rejection != null) {
      return new RejectedClientCall<>(GrpcStatuses.of(rejection));
    }
    Duration budget = outbound.budget().orElseThrow();
    Deadline ours = Deadline.after(budget.toNanos(), TimeUnit.NANOSECONDS);
    Deadline existing = callOptions.getDeadline();
    CallOptions budgeted = callOptions.withDeadline(existing == null ? ours : existing.minimum(ours));
    return new BudgetedClientCall<>(next.newCall(method, budgeted), outbound);
  }

  @Override
  public String toString() {
    return "RequestCtxClientInterceptor[" + config.calleeTier().name() + (config.trusted() ? ", trusted" : "") + "]";
  }

  /** Adds the headers on start, ends the span on close, and follows the caller's cancellation. */
  private static final class BudgetedClientCall<ReqT, RespT>
      extends ForwardingClientCall.SimpleForwardingClientCall<ReqT, RespT> {
    private final OutboundCall outbound;
    private volatile RequestCtx.@Nullable CancelRegistration callerCancelled;
    private volatile boolean closed;

    BudgetedClientCall(ClientCall<ReqT, RespT> delegate, OutboundCall outbound) {
      super(delegate);
      this.outbound = outbound;
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      try {
        startBudgeted(responseListener, headers);
      } catch (RuntimeException | Error e) {
        outbound.end(Outcome.ERROR); // the listener will never see onClose: end the span here
        throw e;
      }
      RequestCtx.CancelRegistration registration =
          outbound.ctx().onCancel(cause -> cancel("reqctx: the caller's request was cancelled", cause));
      callerCancelled = registration;
      if (closed) {
        registration.remove(); // closed while registering: drop the listener now
      }
    }

    private void startBudgeted(Listener<RespT> responseListener, Metadata headers) {
      outbound.writeHeaders(MetadataHeaders.writer(headers));
      super.start(
          new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(responseListener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              closed = true;
              RequestCtx.CancelRegistration registration = callerCancelled;
              if (registration != null) {
                registration.remove();
              }
              outbound.end(GrpcStatuses.outcomeOf(status.getCode()));
              super.onClose(status, trailers);
            }
          },
          headers);
    }
  }

  /** A call refused by reqctx: it never reaches the network and reports its status on start. */
  private static final class RejectedClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final Status status;

    RejectedClientCall(Status status) {
      this.status = status;
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      responseListener.onClose(status, new Metadata());
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(@Nullable String message, @Nullable Throwable cause) {}

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(ReqT message) {}
  }
}
