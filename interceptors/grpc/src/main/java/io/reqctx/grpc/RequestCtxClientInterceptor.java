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
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.RequestCtx;
import io.reqctx.internal.transport.OutboundCall;
import io.reqctx.transport.ClientConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The grpc-java client side of reqctx. For each call, the interceptor asks the {@link
 * io.reqctx.BudgetPolicy} for the callee's budget from the {@link io.reqctx.RequestCtx} current when
 * the call is created: when it is below the minimum viable budget the call is not sent and fails with
 * {@code DEADLINE_EXCEEDED} and a message giving the numbers; otherwise the call's deadline becomes
 * the earlier of its own and now + budget, the reqctx, request-id and W3C trace headers (as the
 * config's {@link io.reqctx.transport.Egress} allows) are added when the call starts, and cancelling
 * the ctx cancels the call. Any {@code reqctx-*} metadata the application put on the call is removed
 * first: that namespace is reqctx's. A callee outside the fleet ({@code
 * egress(Egress.EXTERNAL_W3C)}) gets only {@code traceparent}, {@code tracestate} and {@code baggage},
 * and the call keeps its deadline, which grpc-java sends as its own {@code grpc-timeout}.
 *
 * <p>The rules follow grpc-java's own {@code ClientCall}:
 *
 * <ul>
 *   <li>A refused call reaches no network and delivers {@code onClose} through the call's executor
 *       ({@code CallOptions.getExecutor()}; without one, the common fork-join pool), never inside
 *       {@code start()}. Its sends are ignored.
 *   <li>A call whose ctx is cancelled after it was created — even between {@code newCall} and {@code
 *       start}, or while the stub is still sending — closes with {@code CANCELLED} and ignores later
 *       sends, as a call whose {@code io.grpc.Context} is cancelled does; a stub never sees {@code
 *       IllegalStateException: call was cancelled}. When the ctx's deadline passed, the call's own
 *       deadline (never later than the ctx's) ends it with {@code DEADLINE_EXCEEDED}.
 *   <li>The CLIENT span starts in {@code start()}: a call created and never started leaves nothing.
 *   <li>A call made outside any request gets no deadline from the callee's tier cap (only its method
 *       budget, if declared) unless {@link ClientConfig.Builder#tierCapOutsideRequests} says so; a
 *       method declared long-lived ({@link ClientConfig.Builder#longLivedMethod}) gets the caller's
 *       remaining time, or no deadline when the caller has none.
 * </ul>
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
      return new RejectedClientCall<>(outbound, GrpcStatuses.of(rejection), callOptions.getExecutor());
    }
    return new BudgetedClientCall<>(next.newCall(method, withBudget(callOptions, outbound.budget())), outbound);
  }

  /** {@code callOptions} with the earlier of its deadline and now + budget; unchanged without a budget. */
  private static CallOptions withBudget(CallOptions callOptions, Optional<Duration> budget) {
    if (budget.isEmpty()) {
      return callOptions;
    }
    Deadline ours = Deadline.after(budget.get().toNanos(), TimeUnit.NANOSECONDS);
    Deadline existing = callOptions.getDeadline();
    return callOptions.withDeadline(existing == null ? ours : existing.minimum(ours));
  }

  @Override
  public String toString() {
    return "RequestCtxClientInterceptor[" + config.calleeTier().name() + (config.trusted() ? ", trusted" : "") + "]";
  }

  /** Adds the headers and starts the span on start, ends it on close, and follows the caller's cancellation. */
  private static final class BudgetedClientCall<ReqT, RespT>
      extends ForwardingClientCall.SimpleForwardingClientCall<ReqT, RespT> {
    private final OutboundCall outbound;
    private final Object lock = new Object();
    private volatile @Nullable Throwable cancelledByCtx; // written under lock
    private volatile RequestCtx.@Nullable CancelRegistration callerCancelled;
    private volatile boolean closed;

    BudgetedClientCall(ClientCall<ReqT, RespT> delegate, OutboundCall outbound) {
      super(delegate);
      this.outbound = outbound;
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      try {
        MetadataHeaders.removeReqctxHeaders(headers); // reqctx's namespace: nothing forged or stale goes out
        outbound.writeHeaders(MetadataHeaders.writer(headers)); // starts the span
        super.start(new EndingListener(responseListener), headers);
      } catch (RuntimeException | Error e) {
        outbound.end(Outcome.ERROR); // the listener will never see onClose: end the span here
        throw e;
      }
      RequestCtx.CancelRegistration registration = outbound.ctx().onCancel(this::ctxCancelled);
      callerCancelled = registration;
      if (closed) {
        registration.remove(); // closed while registering: drop the listener now
      }
    }

    /**
     * The caller's ctx was cancelled: cancel the call. When a deadline cancelled the ctx the call closes
     * with DEADLINE_EXCEEDED, as if its own deadline (never later than the ctx's) had fired. Sends after
     * this are dropped, so the stub never meets grpc's "call was cancelled" check.
     */
    private void ctxCancelled(Throwable cause) {
      synchronized (lock) {
        if (cancelledByCtx != null) {
          return;
        }
        cancelledByCtx = cause;
      }
      super.cancel("reqctx: the caller's request was cancelled", cause);
    }

    @Override
    public void sendMessage(ReqT message) {
      synchronized (lock) {
        if (cancelledByCtx == null) {
          super.sendMessage(message);
        }
      }
    }

    @Override
    public void halfClose() {
      synchronized (lock) {
        if (cancelledByCtx == null) {
          super.halfClose();
        }
      }
    }

    /** Ends the span with the call's status and stops following the caller's cancellation. */
    private final class EndingListener extends ForwardingClientCallListener.SimpleForwardingClientCallListener<RespT> {
      EndingListener(Listener<RespT> delegate) {
        super(delegate);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        closed = true;
        RequestCtx.CancelRegistration registration = callerCancelled;
        if (registration != null) {
          registration.remove();
        }
        Status reported = status;
        Throwable cause = cancelledByCtx;
        if (cause != null && status.getCode() == Status.Code.CANCELLED
            && Outcome.ofCancellation(cause) == Outcome.DEADLINE_EXCEEDED) {
          reported = GrpcStatuses.ofCancellation(cause, outbound.budget()).withCause(cause);
        }
        outbound.received(MetadataHeaders.reader(trailers)); // the callee's elapsed time, for the reserve
        outbound.end(GrpcStatuses.outcomeOf(reported.getCode()));
        super.onClose(reported, trailers);
      }
    }
  }

  /**
   * A call refused by reqctx: it never reaches the network, and on start its span records the
   * rejection and its listener gets the status through the call's executor, as grpc's {@code
   * ClientCallImpl} delivers a call that fails before it starts.
   */
  private static final class RejectedClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final OutboundCall outbound;
    private final Status status;
    private final Executor executor;
    private final io.grpc.Context context = io.grpc.Context.current();

    RejectedClientCall(OutboundCall outbound, Status status, @Nullable Executor callExecutor) {
      this.outbound = outbound;
      this.status = status;
      this.executor = callExecutor != null ? callExecutor : ForkJoinPool.commonPool();
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      outbound.start(); // records the rejection and ends the span
      executor.execute(() -> {
        io.grpc.Context previous = context.attach();
        try {
          responseListener.onClose(status, new Metadata());
        } finally {
          context.detach(previous);
        }
      });
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
