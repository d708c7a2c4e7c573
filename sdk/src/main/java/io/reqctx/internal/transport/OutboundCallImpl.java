package io.reqctx.internal.transport;

import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Rejection;
import io.reqctx.transport.Outcome;
import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.trace.Span;
import io.reqctx.internal.telemetry.Metrics;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.OutboundBudget;
import io.reqctx.RequestCtx;
import io.reqctx.internal.wire.AttemptNumber;
import io.reqctx.internal.wire.HopCount;
import io.reqctx.internal.wire.WireHeaders;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** Applies the outbound rules of one {@link ClientConfig} to one call. */
final class OutboundCallImpl implements OutboundCall {
  private static final TextMapSetter<HeaderWriter> SETTER =
      (writer, name, value) -> requireNonNull(writer, "writer").put(name, value);

  private final ClientConfig config;
  private final RequestCtx ctx;
  private final OutboundBudget verdict;
  private final @Nullable Rejection rejection;
  private final Span span;
  private final Context context;
  private final AtomicBoolean ended = new AtomicBoolean();

  private OutboundCallImpl(
      ClientConfig config,
      RequestCtx ctx,
      OutboundBudget verdict,
      @Nullable Rejection rejection,
      Span span,
      Context context) {
    this.config = config;
    this.ctx = ctx;
    this.verdict = verdict;
    this.rejection = rejection;
    this.span = span;
    this.context = context;
  }

  static OutboundCall prepare(ClientConfig config, Context parent, String method) {
    requireNonNull(config, "config");
    requireNonNull(parent, "parent");
    requireNonNull(method, "method");
    RequestCtx ctx = RequestCtx.fromContext(parent);
    Callee callee = config.callee(method);
    OutboundBudget verdict = config.policy().outbound(ctx.remainingBudget().orElse(null), ctx.tier(), callee);
    Rejection rejection = rejection(ctx, verdict);

    Span span;
    if (config.spans() == SpanMode.CREATE) {
      span =
          config.openTelemetry().getTracer(SpanAttributes.TRACER_NAME)
              .spanBuilder(method)
              .setSpanKind(SpanKind.CLIENT)
              .setParent(parent)
              .setAttribute(SpanAttributes.TIER, ctx.tier().name())
              .setAttribute(SpanAttributes.CALLEE_TIER, callee.tier().name())
              .setAttribute(SpanAttributes.HOP, (long) ctx.hopCount())
              .startSpan();
      if (verdict instanceof OutboundBudget.Send send) {
        span.setAttribute(SpanAttributes.OUTBOUND_BUDGET_MS, send.budget().toMillis());
      }
    } else {
      span = Span.fromContext(parent);
      if (config.spans() == SpanMode.ENRICH) {
        span.setAttribute(SpanAttributes.TIER, ctx.tier().name());
        span.setAttribute(SpanAttributes.CALLEE_TIER, callee.tier().name());
        span.setAttribute(SpanAttributes.HOP, (long) ctx.hopCount());
        if (verdict instanceof OutboundBudget.Send send) {
          span.setAttribute(SpanAttributes.OUTBOUND_BUDGET_MS, send.budget().toMillis());
        }
      }
    }
    if (verdict.tierViolation()) {
      TierViolations.report(Metrics.of(config.openTelemetry()), ctx.tier(), callee.tier(), method);
    }
    if (verdict instanceof OutboundBudget.FailFast failFast && !ctx.isCancelled()) {
      Metrics.of(config.openTelemetry()).recordRejection(ctx.tier(), failFast);
    }
    OutboundCallImpl call = new OutboundCallImpl(config, ctx, verdict, rejection, span, parent.with(span));
    if (rejection != null) {
      call.end(outcomeOf(rejection.reason()));
    }
    return call;
  }

  private static @Nullable Rejection rejection(RequestCtx ctx, OutboundBudget verdict) {
    Throwable cancelled = ctx.cancellationCause();
    if (cancelled != null) {
      return new Rejection(
          Rejection.Reason.CANCELLED,
          "reqctx: call to " + verdict.callee().name() + " not sent: the request was already cancelled ("
              + firstLine(cancelled) + ")");
    }
    if (verdict instanceof OutboundBudget.FailFast failFast) {
      return new Rejection(
          failFast.reason() == OutboundBudget.FailFast.Reason.TIER_VIOLATION
              ? Rejection.Reason.TIER_VIOLATION
              : Rejection.Reason.BUDGET_EXHAUSTED,
          failFast.message());
    }
    return null;
  }

  private static Outcome outcomeOf(Rejection.Reason reason) {
    return switch (reason) {
      case BUDGET_EXHAUSTED -> Outcome.REJECTED_BUDGET;
      case CANCELLED -> Outcome.CANCELLED;
      case HOP_LIMIT, TIER_VIOLATION -> Outcome.REJECTED;
    };
  }

  private static String firstLine(Throwable t) {
    String message = String.valueOf(t.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  @Override
  public RequestCtx ctx() {
    return ctx;
  }

  @Override
  public OutboundBudget verdict() {
    return verdict;
  }

  @Override
  public @Nullable Rejection rejection() {
    return rejection;
  }

  @Override
  public Optional<Duration> budget() {
    return rejection == null && verdict instanceof OutboundBudget.Send send
        ? Optional.of(send.budget())
        : Optional.empty();
  }

  @Override
  public void writeHeaders(HeaderWriter writer) {
    requireNonNull(writer, "writer");
    if (!ctx.requestId().isEmpty()) {
      writer.put(WireHeaders.REQUEST_ID, ctx.requestId());
    }
    writer.put(WireHeaders.TIER, ctx.tier().name());
    writer.put(WireHeaders.HOP, HopCount.format(ctx.hopCount() + 1));
    writer.put(WireHeaders.ATTEMPT, AttemptNumber.format(ctx.outgoingAttempt()));
    ctx.forEachValue((key, value) -> writeValue(writer, key, value));
    if (config.spans() != SpanMode.ENRICH) { // in ENRICH mode the owning instrumentation injects the trace
      config.openTelemetry().getPropagators().getTextMapPropagator().inject(context, writer, SETTER);
    }
  }

  @SuppressWarnings("unchecked")
  private void writeValue(HeaderWriter writer, CtxKey<?> key, Object value) {
    if (!key.isPropagated() || (key.isSensitive() && !config.trusted())) {
      return;
    }
    String encoded = ((CtxKey<Object>) key).encodeForWire(value);
    if (encoded != null) {
      writer.put(key.headerName(), encoded);
    }
  }

  @Override
  public void end(Outcome outcome) {
    requireNonNull(outcome, "outcome");
    if (ended.compareAndSet(false, true)) {
      if (outcome == Outcome.DEADLINE_EXCEEDED) {
        Metrics.of(config.openTelemetry()).recordDeadlineExceeded(ctx.tier(), Metrics.Side.CLIENT);
      }
      SpanAttributes.end(span, config.spans(), outcome);
    }
  }

  @Override
  public String toString() {
    return "OutboundCall[" + verdict.callee().name() + ", " + (rejection == null ? verdict : rejection) + "]";
  }
}
