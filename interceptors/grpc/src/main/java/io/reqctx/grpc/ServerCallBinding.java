package io.reqctx.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.opentelemetry.context.Scope;
import io.reqctx.RequestCtx;
import io.reqctx.internal.transport.InboundCall;
import io.reqctx.Outcome;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Binds one call's reqctx scope to its grpc side, both ways: the call's {@link Context} (a child of the
 * server's, with the reqctx deadline) cancelled — the client reset the stream or a deadline fired —
 * cancels the scope; the scope cancelled — its deadline alarm, an owner — cancels that {@link Context}
 * and closes the call with DEADLINE_EXCEEDED or CANCELLED if it is still open. The scope closes, the
 * span ends and the {@link Context} is released exactly once, on {@code onComplete} or {@code onCancel}.
 */
final class ServerCallBinding<ReqT, RespT> {
  // Cancellation listeners only flip state and cancel: run them on the cancelling thread.
  private static final Executor DIRECT = Runnable::run;

  private final InboundCall inbound;
  private final Context.CancellableContext grpcContext;
  private final Context serverContext;
  private final GuardedServerCall<ReqT, RespT> call;
  private final Context.CancellationListener grpcCancelled = this::grpcContextCancelled;
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile boolean callerGone;
  private volatile RequestCtx.@Nullable CancelRegistration scopeCancelled;

  private ServerCallBinding(
      InboundCall inbound, Context serverContext, Context.CancellableContext grpcContext, ServerCall<ReqT, RespT> call) {
    this.inbound = inbound;
    this.serverContext = serverContext;
    this.grpcContext = grpcContext;
    this.call = new GuardedServerCall<>(call);
  }

  static <ReqT, RespT> ServerCall.Listener<ReqT> start(
      InboundCall inbound,
      Context serverContext,
      ServerCall<ReqT, RespT> call,
      Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    long remainingNanos = inbound.ctx().deadline().orElseThrow().remainingNanos();
    Context.CancellableContext grpcContext;
    // Derived from the current grpc context while the reqctx context is attached: a grpc context
    // storage backed by OpenTelemetry's (the override in OpenTelemetry's gRPC instrumentation) then
    // carries the reqctx context inside the grpc one. With grpc's own storage this is serverContext.
    try (Scope ignored = RequestCtx.attach(inbound.context())) {
      grpcContext =
          Context.current().withDeadline(Deadline.after(remainingNanos, TimeUnit.NANOSECONDS), NeverFiringScheduler.INSTANCE);
    }
    ServerCallBinding<ReqT, RespT> binding = new ServerCallBinding<>(inbound, serverContext, grpcContext, call);
    grpcContext.addListener(binding.grpcCancelled, DIRECT);
    binding.scopeCancelled = inbound.ctx().onCancel(binding::scopeCancelled);

    ServerCall.Listener<ReqT> delegate;
    // The OpenTelemetry context first, the grpc one on top: when grpc's context storage is backed by
    // OpenTelemetry's (OpenTelemetry's gRPC instrumentation ships such an override), attaching in the
    // other order would hide the grpc context.
    try (Scope ignored = RequestCtx.attach(inbound.context())) {
      Context previous = grpcContext.attach();
      try {
        delegate = next.startCall(binding.call, headers);
      } finally {
        grpcContext.detach(previous);
      }
    } catch (RuntimeException | Error e) {
      binding.finish(Outcome.ERROR);
      throw e;
    }
    return binding.new BoundListener(delegate);
  }

  private void grpcContextCancelled(Context context) {
    Throwable cause = grpcContext.cancellationCause();
    if (serverContext.isCancelled()) {
      callerGone = true; // the transport cancelled the call: nobody is left to answer
    }
    inbound.cancel(cause != null ? cause : new CancellationException("reqctx: the gRPC call's context was cancelled"));
  }

  private void scopeCancelled(Throwable cause) {
    grpcContext.cancel(cause);
    if (!callerGone) {
      call.closeIfOpen(GrpcStatuses.ofCancellation(cause, inbound.budget()));
    }
  }

  private void finish(Outcome outcome) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    RequestCtx.CancelRegistration registration = scopeCancelled;
    if (registration != null) {
      registration.remove();
    }
    grpcContext.removeListener(grpcCancelled);
    grpcContext.cancel(null);
    inbound.close(outcome);
  }

  private Outcome cancelledOutcome() {
    Throwable cause = inbound.ctx().cancellationCause();
    Throwable grpcCause = grpcContext.cancellationCause();
    boolean deadline = (cause != null && GrpcStatuses.isDeadline(cause)) || (grpcCause != null && GrpcStatuses.isDeadline(grpcCause));
    return deadline ? Outcome.DEADLINE_EXCEEDED : Outcome.CANCELLED;
  }

  /** Runs every callback with the call's grpc {@link Context} and the reqctx OpenTelemetry context current. */
  private final class BoundListener extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    BoundListener(ServerCall.Listener<ReqT> delegate) {
      super(delegate);
    }

    private void inContext(Runnable callback) {
      try (Scope ignored = RequestCtx.attach(inbound.context())) {
        Context previous = grpcContext.attach();
        try {
          callback.run();
        } finally {
          grpcContext.detach(previous);
        }
      }
    }

    @Override
    public void onMessage(ReqT message) {
      inContext(() -> super.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      inContext(super::onHalfClose);
    }

    @Override
    public void onReady() {
      inContext(super::onReady);
    }

    @Override
    public void onCancel() {
      callerGone = true;
      inbound.cancel(new CancellationException("reqctx: the caller cancelled the gRPC call or its deadline passed"));
      try {
        inContext(super::onCancel);
      } finally {
        finish(cancelledOutcome());
      }
    }

    @Override
    public void onComplete() {
      try {
        inContext(super::onComplete);
      } finally {
        Status status = call.closedStatus();
        finish(status == null ? Outcome.OK : GrpcStatuses.outcomeOf(status.getCode()));
      }
    }
  }

  /**
   * Serialises the handler's use of the call with the close that a cancelled scope makes from another
   * thread; once closed, later sends and closes are dropped (the handler did nothing wrong: its request
   * was cancelled under it).
   */
  private static final class GuardedServerCall<ReqT, RespT>
      extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
    private final Object lock = new Object();
    private @Nullable Status closedStatus;

    GuardedServerCall(ServerCall<ReqT, RespT> delegate) {
      super(delegate);
    }

    @Override
    public void request(int numMessages) {
      synchronized (lock) {
        if (closedStatus == null) {
          super.request(numMessages);
        }
      }
    }

    @Override
    public void sendHeaders(Metadata headers) {
      synchronized (lock) {
        if (closedStatus == null) {
          super.sendHeaders(headers);
        }
      }
    }

    @Override
    public void sendMessage(RespT message) {
      synchronized (lock) {
        if (closedStatus == null) {
          super.sendMessage(message);
        }
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      synchronized (lock) {
        if (closedStatus == null) {
          closedStatus = status;
          super.close(status, trailers);
        }
      }
    }

    void closeIfOpen(Status status) {
      close(status, new Metadata());
    }

    @Nullable Status closedStatus() {
      synchronized (lock) {
        return closedStatus;
      }
    }
  }
}
