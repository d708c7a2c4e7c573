package io.reqctx.chaos;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * What chaos does to one gRPC server call, around the reqctx interceptor (outside: before reqctx reads
 * the call) and inside it (where the request's ctx and span are current, before the handler).
 *
 * <ul>
 *   <li>outside: the deadline skew rewrites {@code grpc-timeout} (unless {@link
 *       ChaosServerInterceptor#deadlineSkewTracer} did it before grpc-java read it); for a cancel storm
 *       the call runs under a cancellable grpc {@link Context} of chaos, which reqctx takes as the
 *       call's transport context, and its alarm cancels that context — so the ctx, the grpc context and
 *       {@link ServerCall#isCancelled()} turn cancelled as when a client resets the stream — closes the
 *       call with {@code CANCELLED} and delivers {@code onCancel};
 *   <li>inside: the value-leak watch starts; latency holds the handler's start on the ticker.
 * </ul>
 */
final class ServerCallChaos<ReqT, RespT> {
  private final Chaos chaos;
  private final Plan plan;
  private final ServerCall<ReqT, RespT> transportCall;
  private final Metadata headers;
  private final BudgetHeaders.@Nullable Skewed skewedByTracer;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final CallSpan span = new CallSpan();
  private volatile ValueLeaks.@Nullable Watch watch;
  private volatile Ticker.@Nullable Alarm cancelAlarm;
  private volatile Ticker.@Nullable Alarm latencyAlarm;
  private @Nullable InjectableServerCall<ReqT, RespT> injectable;
  private Context.@Nullable CancellableContext context;
  private @Nullable OutsideListener<ReqT> outside;

  ServerCallChaos(Chaos chaos, Plan plan, ServerCall<ReqT, RespT> call, Metadata headers,
      BudgetHeaders.@Nullable Skewed skewedByTracer) {
    this.chaos = chaos;
    this.plan = plan;
    this.transportCall = call;
    this.headers = headers;
    this.skewedByTracer = skewedByTracer;
  }

  ServerCall.Listener<ReqT> start(ServerInterceptor reqctx, ServerCallHandler<ReqT, RespT> next) {
    BudgetHeaders.Skewed skewed = skewedByTracer;
    if (plan.deadlineSkew != null && skewed == null) {
      skewed = BudgetHeaders.skewGrpc(headers, plan.skew());
    }
    ServerCall<ReqT, RespT> call = transportCall;
    if (plan.cancelStorm != null) {
      injectable = new InjectableServerCall<>(transportCall);
      call = injectable;
      context = Context.current().withCancellation();
    }
    ServerCall.Listener<ReqT> listener;
    Context.CancellableContext ours = context;
    Context previous = ours == null ? null : ours.attach();
    try {
      listener = reqctx.interceptCall(call, headers, (insideCall, insideHeaders) -> inside(insideCall, insideHeaders, next));
    } catch (RuntimeException | Error e) {
      end();
      throw e;
    } finally {
      if (ours != null) {
        ours.detach(previous);
        if (ended.get()) {
          ours.cancel(null);
        }
      }
    }
    if (plan.deadlineSkew != null) {
      chaos.telemetry().record(plan.deadlineSkew, ChaosRule.Side.SERVER,
          skewed == null ? ChaosTelemetry.Result.MISSED : ChaosTelemetry.Result.INJECTED, span,
          skewed == null ? Attributes.empty() : ChaosTelemetry.budgets(skewed.beforeNanos(), skewed.afterNanos()));
    }
    if (ours == null) {
      return listener;
    }
    OutsideListener<ReqT> outsideListener = new OutsideListener<>(listener, ours, requireInjectable(), this::end);
    outside = outsideListener;
    Decision cancel = java.util.Objects.requireNonNull(plan.cancelStorm);
    cancelAlarm = chaos.ticker().schedule(this::injectCancel, cancel.delay().toNanos());
    if (ended.get()) {
      cancelAlarm.cancel(); // the call ended while the alarm was armed
    }
    return outsideListener;
  }

  private InjectableServerCall<ReqT, RespT> requireInjectable() {
    return java.util.Objects.requireNonNull(injectable);
  }

  /** Runs inside the reqctx interceptor, with the request's ctx and span current. */
  private ServerCall.Listener<ReqT> inside(ServerCall<ReqT, RespT> call, Metadata insideHeaders,
      ServerCallHandler<ReqT, RespT> next) {
    span.known(Span.current());
    if (plan.valueLeak != null) {
      watch = chaos.valueLeaks().watch(RequestCtx.current(), plan.leak().keys());
      chaos.telemetry().record(plan.valueLeak, ChaosRule.Side.SERVER, ChaosTelemetry.Result.INJECTED, span, Attributes.empty());
    }
    Decision latency = plan.latency;
    if (latency == null) {
      return new InsideListener<>(next.startCall(call, insideHeaders), this::end);
    }
    InsideListener<ReqT> delayed = new InsideListener<>(this::end);
    io.opentelemetry.context.Context otel = io.opentelemetry.context.Context.current();
    Context grpc = Context.current();
    chaos.telemetry().record(latency, ChaosRule.Side.SERVER, ChaosTelemetry.Result.INJECTED, span,
        ChaosTelemetry.delay(latency.delay()));
    latencyAlarm = chaos.ticker().schedule(() -> chaos.executor().execute(() -> {
      try (Scope ignored = RequestCtx.attach(otel)) {
        Context previous = grpc.attach();
        try {
          delayed.start(() -> next.startCall(call, insideHeaders), call);
        } finally {
          grpc.detach(previous);
        }
      }
    }), latency.delay().toNanos());
    return delayed;
  }

  private void injectCancel() {
    Decision cancel = java.util.Objects.requireNonNull(plan.cancelStorm);
    String message = cancel.cancelMessage("call");
    Context.CancellableContext ours = java.util.Objects.requireNonNull(context);
    OutsideListener<ReqT> listener = java.util.Objects.requireNonNull(outside);
    InjectableServerCall<ReqT, RespT> call = requireInjectable();
    if (ended.get() || !call.markCancelled()) {
      chaos.telemetry().record(cancel, ChaosRule.Side.SERVER, ChaosTelemetry.Result.MISSED, span, Attributes.empty());
      return;
    }
    // Recorded first: the span ends as soon as the call does.
    chaos.telemetry().record(cancel, ChaosRule.Side.SERVER, ChaosTelemetry.Result.INJECTED, span,
        ChaosTelemetry.delay(cancel.delay()));
    ours.cancel(new CancellationException(message)); // reqctx cancels the scope at once, as for a reset stream
    call.closeCancelled(Status.CANCELLED.withDescription(message));
    listener.injectCancel();
  }

  /** The call ended (its terminal callback was delivered, or starting it failed). Idempotent. */
  private void end() {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    Ticker.Alarm alarm = cancelAlarm;
    if (alarm != null) {
      alarm.cancel();
    }
    alarm = latencyAlarm;
    if (alarm != null) {
      alarm.cancel();
    }
    ValueLeaks.Watch w = watch;
    if (w != null) {
      w.ended();
    }
  }
}
