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
import io.reqctx.Outcome;
import io.reqctx.RequestCtx;
import io.reqctx.grpc.internal.NeverFiringScheduler;
import io.reqctx.internal.transport.InboundCall;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Binds one call's reqctx scope to its grpc side, so that a call ended by reqctx looks to the handler
 * exactly like a call ended by grpc-java's own deadline or a client reset:
 *
 * <ul>
 *   <li><b>reqctx ends the call</b> (its deadline alarm, an owner's cancel): {@link
 *       ServerCall#isCancelled()} turns true, the call's {@link Context} is cancelled (with a {@link
 *       TimeoutException} for a deadline, as grpc-java's deadline does, so that stubs called in the
 *       handler fail with {@code DEADLINE_EXCEEDED}), the call is closed with {@code DEADLINE_EXCEEDED}
 *       or {@code CANCELLED}, later messages, half-close and readiness are no longer delivered, sends are
 *       dropped, and the listener gets {@code onCancel} (never {@code onComplete}) through the call's
 *       own executor — so grpc's stubs run the cancel handler, give request observers {@code onError}
 *       and refuse later sends, as they do for grpc's own deadline;
 *   <li><b>the transport ends the call</b> (the client reset the stream, grpc-java's or Armeria's
 *       deadline): the scope is cancelled with the matching cause (the caller left, or a deadline);
 *   <li><b>the handler throws</b> (in {@code startCall} or any callback): the scope is cancelled with
 *       the exception (outcome {@link Outcome#ERROR}) and the exception goes on to grpc, which closes
 *       the call as it does without reqctx ({@code UNKNOWN}).
 * </ul>
 *
 * The scope closes, the span ends and the {@link Context} is released exactly once, when the call
 * ends, with the outcome of the call.
 */
final class ServerCallBinding<ReqT, RespT> {
  // Cancellation listeners only flip state and cancel: run them on the cancelling thread.
  private static final Executor DIRECT = Runnable::run;

  private final InboundCall inbound;
  private final Context.CancellableContext grpcContext;
  private final GuardedServerCall<ReqT, RespT> call;
  private final Context.CancellationListener transportCancelled = this::grpcContextCancelled;
  private final AtomicBoolean finished = new AtomicBoolean();
  // Set before reqctx cancels the grpc context itself, so that the listener tells it from the transport.
  private volatile boolean cancellingGrpcContext;
  private volatile boolean transportEnded;
  private volatile @Nullable Throwable handlerFailure;
  private volatile RequestCtx.@Nullable CancelRegistration scopeCancelled;

  private ServerCallBinding(InboundCall inbound, Context.CancellableContext grpcContext, ServerCall<ReqT, RespT> call) {
    this.inbound = inbound;
    this.grpcContext = grpcContext;
    this.call = new GuardedServerCall<>(call, inbound);
  }

  static <ReqT, RespT> ServerCall.Listener<ReqT> start(
      InboundCall inbound, ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    ServerCallBinding<ReqT, RespT> binding = new ServerCallBinding<>(inbound, grpcContextOf(inbound), call);
    binding.grpcContext.addListener(binding.transportCancelled, DIRECT);
    binding.scopeCancelled = inbound.ctx().onCancel(binding::scopeCancelled);
    List<ServerCall.Listener<ReqT>> delegate = new ArrayList<>(1);
    try {
      binding.inContext(() -> delegate.add(next.startCall(binding.call, headers)));
    } catch (RuntimeException | Error e) {
      binding.finish(); // grpc closes the call and never calls a listener: end the scope here
      throw e;
    }
    return binding.new BoundListener(delegate.get(0));
  }

  /**
   * The call's grpc context: a child of the current one (the server's, with the caller's deadline on
   * grpc-java) with the reqctx deadline, or without a deadline of its own when the call has none.
   * Derived while the reqctx context is attached: a grpc context storage backed by OpenTelemetry's (the
   * override in OpenTelemetry's gRPC instrumentation) then carries the reqctx context inside the grpc
   * one. With grpc's own storage the parent is the server's context.
   */
  private static Context.CancellableContext grpcContextOf(InboundCall inbound) {
    try (Scope ignored = RequestCtx.attach(inbound.context())) {
      Context current = Context.current();
      return inbound.ctx().deadline()
          .map(deadline -> current.withDeadline(
              Deadline.after(deadline.remainingNanos(), TimeUnit.NANOSECONDS), NeverFiringScheduler.INSTANCE))
          .orElseGet(current::withCancellation);
    }
  }

  /** Runs {@code callback} with the reqctx and grpc contexts current; a throw is the handler failing. */
  private void inContext(Runnable callback) {
    try (Scope ignored = RequestCtx.attach(inbound.context())) {
      Context previous = grpcContext.attach();
      try {
        callback.run();
      } finally {
        grpcContext.detach(previous);
      }
    } catch (RuntimeException | Error e) {
      handlerFailed(e);
      throw e;
    }
  }

  private void handlerFailed(Throwable failure) {
    if (handlerFailure == null) {
      handlerFailure = failure;
    }
    inbound.cancel(failure);
  }

  /** The grpc context was cancelled by someone else than reqctx: the transport ended the call. */
  private void grpcContextCancelled(Context context) {
    if (cancellingGrpcContext) {
      return;
    }
    transportEnded = true;
    if (grpcContext.cancellationCause() instanceof TimeoutException) {
      inbound.transportDeadlinePassed(); // grpc-java's own deadline timer
    } else {
      inbound.callerLeft();
    }
  }

  /** The scope was cancelled: unless the transport or grpc already ends the call, reqctx ends it. */
  private void scopeCancelled(Throwable cause) {
    boolean endedElsewhere = transportEnded || cause == handlerFailure;
    boolean endsTheCall = !endedElsewhere && call.markCancelled(GrpcStatuses.ofCancellation(cause, inbound.budget()));
    cancelGrpcContext(Outcome.ofCancellation(cause) == Outcome.DEADLINE_EXCEEDED ? asTimeout(cause) : cause);
    if (endsTheCall) {
      call.closeCancelled();
    }
  }

  private void cancelGrpcContext(@Nullable Throwable cause) {
    cancellingGrpcContext = true;
    grpcContext.cancel(cause);
  }

  /** What grpc-java's deadline cancels a context with, so grpc code maps it to DEADLINE_EXCEEDED. */
  private static TimeoutException asTimeout(Throwable deadline) {
    TimeoutException timeout = new TimeoutException(deadline.getMessage());
    timeout.initCause(deadline);
    return timeout;
  }

  private void finish() {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    RequestCtx.CancelRegistration registration = scopeCancelled;
    if (registration != null) {
      registration.remove();
    }
    grpcContext.removeListener(transportCancelled);
    cancelGrpcContext(null);
    inbound.close(outcome());
  }

  /**
   * The call's outcome: the status the handler closed it with, else what the scope was cancelled for
   * (a deadline, the caller leaving, the handler's exception), else OK.
   */
  private Outcome outcome() {
    Status handlerStatus = call.handlerStatus();
    if (handlerStatus != null && handlerFailure == null) {
      return GrpcStatuses.outcomeOf(handlerStatus.getCode());
    }
    return Outcome.ofCancellation(inbound.ctx().cancellationCause());
  }

  /** Runs every callback in the call's contexts, and turns a call ended by reqctx into onCancel. */
  private final class BoundListener extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    private boolean cancelDelivered; // callbacks are serialised: no lock needed

    BoundListener(ServerCall.Listener<ReqT> delegate) {
      super(delegate);
    }

    @Override
    public void onMessage(ReqT message) {
      if (!call.cancelledByReqctx()) { // grpc-java drops messages of a cancelled call too
        inContext(() -> super.onMessage(message));
      }
    }

    @Override
    public void onHalfClose() {
      if (!call.cancelledByReqctx()) {
        inContext(super::onHalfClose);
      }
    }

    @Override
    public void onReady() {
      if (!call.cancelledByReqctx()) {
        inContext(super::onReady);
      }
    }

    @Override
    public void onCancel() {
      if (!call.cancelledByReqctx() && handlerFailure == null && !transportEnded) {
        transportEnded = true;
        inbound.callerLeft();
      }
      try {
        deliverCancel();
      } finally {
        finish();
      }
    }

    @Override
    public void onComplete() {
      try {
        if (call.cancelledByReqctx()) {
          deliverCancel(); // reqctx closed the call: to the handler it was cancelled, as by grpc's deadline
        } else {
          inContext(super::onComplete);
        }
      } finally {
        finish();
      }
    }

    private void deliverCancel() {
      if (!cancelDelivered) {
        cancelDelivered = true;
        inContext(super::onCancel);
      }
    }
  }

  /**
   * Serialises the handler's use of the call with the close that reqctx makes from another thread.
   * Once reqctx has cancelled the call it reports {@link #isCancelled()} true and, like a call grpc-java
   * cancelled, drops what the handler still sends.
   */
  private static final class GuardedServerCall<ReqT, RespT>
      extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
    private final Object lock = new Object();
    private boolean closed; // guarded by lock
    private @Nullable Status handlerStatus; // guarded by lock
    private volatile @Nullable Status cancelledStatus;
    private final InboundCall inbound;

    GuardedServerCall(ServerCall<ReqT, RespT> delegate, InboundCall inbound) {
      super(delegate);
      this.inbound = inbound;
    }

    @Override
    public void request(int numMessages) {
      synchronized (lock) {
        if (!closed && cancelledStatus == null) {
          super.request(numMessages);
        }
      }
    }

    @Override
    public void sendHeaders(Metadata headers) {
      synchronized (lock) {
        if (!closed && cancelledStatus == null) {
          super.sendHeaders(headers);
        }
      }
    }

    @Override
    public void sendMessage(RespT message) {
      synchronized (lock) {
        if (!closed && cancelledStatus == null) {
          super.sendMessage(message);
        }
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      synchronized (lock) {
        if (!closed && cancelledStatus == null) {
          closed = true;
          handlerStatus = status;
          inbound.writeElapsed(MetadataHeaders.writer(trailers)); // the caller learns the hop's transit
          super.close(status, trailers);
        }
      }
    }

    @Override
    public boolean isReady() {
      return cancelledStatus == null && super.isReady();
    }

    @Override
    public boolean isCancelled() {
      return cancelledStatus != null || super.isCancelled();
    }

    /** reqctx cancels the call with {@code status}; false when the handler had closed it already. */
    boolean markCancelled(Status status) {
      synchronized (lock) {
        if (closed || cancelledStatus != null) {
          return false;
        }
        cancelledStatus = status;
        return true;
      }
    }

    /** Closes the call with the status it was cancelled with. */
    void closeCancelled() {
      synchronized (lock) {
        Status status = cancelledStatus;
        if (!closed && status != null) {
          closed = true;
          super.close(status, new Metadata());
        }
      }
    }

    boolean cancelledByReqctx() {
      return cancelledStatus != null;
    }

    @Nullable Status handlerStatus() {
      synchronized (lock) {
        return handlerStatus;
      }
    }
  }
}
