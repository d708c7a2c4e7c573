package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Client-side chaos for grpc-java channels: the {@link ChaosRule.Side#CLIENT} rules of a {@link
 * Chaos}, applied per full method name to calls made while a request's ctx is current (the key of
 * each draw is the request id, the method and the attempt) or outside any request (numbered in
 * order).
 *
 * <ul>
 *   <li>{@link Fault#deadlineSkew}: the call's deadline — the budget reqctx's client interceptor gave
 *       it — is scaled and shifted, so the callee receives a {@code grpc-timeout} that is too short or
 *       too long, as from a caller whose clock or reserve is wrong. The call is created outside the
 *       caller's grpc context deadline (a longer skew would otherwise be capped by it); reqctx still
 *       cancels it when the caller's ctx is cancelled;
 *   <li>{@link Fault#latency}: the call reaches the network after the delay; its deadline runs
 *       meanwhile, as on a slow network;
 *   <li>{@link Fault#cancelStorm}: the call is cancelled after the delay, as by a caller that gives
 *       up; the callee sees a reset stream.
 * </ul>
 *
 * <p>Register it next to the channel, inside reqctx's client interceptor (in {@code
 * ClientInterceptors.intercept(channel, a, b)} the last one runs first):
 *
 * <pre>{@code
 * Channel inventory = ClientInterceptors.intercept(channel,
 *     ChaosClientInterceptor.create(chaos),                       // next to the network
 *     RequestCtxClientInterceptor.create(clientConfig));          // budgets the call first
 * }</pre>
 */
public final class ChaosClientInterceptor implements ClientInterceptor {
  private final Chaos chaos;

  private ChaosClientInterceptor(Chaos chaos) {
    this.chaos = chaos;
  }

  /** An interceptor applying the client rules of {@code chaos}. Thread-safe. */
  public static ChaosClientInterceptor create(Chaos chaos) {
    return new ChaosClientInterceptor(requireNonNull(chaos, "chaos"));
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    String name = method.getFullMethodName();
    Plan plan = chaos.plan(ChaosRule.Side.CLIENT, name, requestKey(RequestCtx.current(), name));
    if (plan.isEmpty()) {
      return next.newCall(method, callOptions);
    }
    Span span = Span.current();
    ClientCall<ReqT, RespT> call = plan.deadlineSkew == null
        ? next.newCall(method, callOptions)
        : skewed(method, callOptions, next, plan, span);
    Decision latency = plan.latency;
    if (latency != null) {
      DelayedClientCall<ReqT, RespT> delayed = new DelayedClientCall<>(call, callOptions.getExecutor());
      chaos.telemetry().record(latency, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.INJECTED, span,
          ChaosTelemetry.delay(latency.delay()));
      chaos.ticker().schedule(delayed::release, latency.delay().toNanos());
      call = delayed;
    }
    Decision cancel = plan.cancelStorm;
    return cancel == null ? call : new CancelledLater<>(call, cancel, span);
  }

  /** The key of a call's draws: the request, the method and the attempt; null outside a request. */
  static @Nullable String requestKey(RequestCtx ctx, String target) {
    return ctx.requestId().isEmpty() ? null : ctx.requestId() + " " + target + " " + ctx.outgoingAttempt();
  }

  private <ReqT, RespT> ClientCall<ReqT, RespT> skewed(MethodDescriptor<ReqT, RespT> method, CallOptions callOptions,
      Channel next, Plan plan, Span span) {
    Decision skew = java.util.Objects.requireNonNull(plan.deadlineSkew);
    Deadline deadline = callOptions.getDeadline();
    if (deadline == null) {
      chaos.telemetry().record(skew, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.MISSED, span, Attributes.empty());
      return next.newCall(method, callOptions);
    }
    long before = Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS));
    long after = plan.skew().apply(before);
    chaos.telemetry().record(skew, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.INJECTED, span,
        ChaosTelemetry.budgets(before, after));
    // Outside the caller's grpc context: its deadline would cap a longer budget.
    Context forked = Context.current().fork();
    Context previous = forked.attach();
    try {
      return next.newCall(method, callOptions.withDeadline(Deadline.after(after, TimeUnit.NANOSECONDS)));
    } finally {
      forked.detach(previous);
    }
  }

  @Override
  public String toString() {
    return "ChaosClientInterceptor[" + chaos + "]";
  }

  /** Cancels the call after the drawn delay, unless it closed first. */
  private final class CancelledLater<ReqT, RespT> extends ForwardingClientCall.SimpleForwardingClientCall<ReqT, RespT> {
    private final Decision decision;
    private final Span span;
    private volatile boolean closed;
    private volatile Ticker.@Nullable Alarm alarm;

    CancelledLater(ClientCall<ReqT, RespT> delegate, Decision decision, Span span) {
      super(delegate);
      this.decision = decision;
      this.span = span;
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(responseListener) {
        @Override
        public void onClose(Status status, Metadata trailers) {
          closed = true;
          Ticker.Alarm armed = alarm;
          if (armed != null) {
            armed.cancel();
          }
          super.onClose(status, trailers);
        }
      }, headers);
      alarm = chaos.ticker().schedule(this::fire, decision.delay().toNanos());
    }

    private void fire() {
      if (closed) {
        chaos.telemetry().record(decision, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.MISSED, (Span) null, Attributes.empty());
        return;
      }
      String message = decision.cancelMessage("call");
      chaos.telemetry().record(decision, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.INJECTED, span,
          ChaosTelemetry.delay(decision.delay()));
      delegate().cancel(message, new CancellationException(message));
    }
  }
}
