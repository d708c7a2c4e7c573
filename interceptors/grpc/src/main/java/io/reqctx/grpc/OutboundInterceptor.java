package io.reqctx.grpc;

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
import io.reqctx.transport.OutboundCall;
import io.reqctx.transport.Outcome;
import io.reqctx.transport.Rejection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** {@link ReqCtxClientInterceptor}: budgets, decorates and cancels each outgoing call. */
final class OutboundInterceptor implements ClientInterceptor {
  private final ClientConfig config;

  OutboundInterceptor(ClientConfig config) {
    this.config = config;
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
    return "ReqCtxClientInterceptor[" + config.calleeTier().name() + (config.trusted() ? ", trusted" : "") + "]";
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
