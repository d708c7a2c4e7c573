package io.reqctx.internal.transport;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.Deadline;
import io.reqctx.OutboundBudget;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import io.reqctx.internal.telemetry.Metrics;
import io.reqctx.internal.telemetry.TelemetryAttributes;
import io.reqctx.internal.wire.AttemptNumber;
import io.reqctx.internal.wire.BudgetMillis;
import io.reqctx.internal.wire.ElapsedMicros;
import io.reqctx.internal.wire.HopCount;
import io.reqctx.internal.wire.TraceContext;
import io.reqctx.internal.wire.TraceState;
import io.reqctx.internal.wire.WireHeaders;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.Egress;
import io.reqctx.transport.SpanMode;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/** Applies the outbound rules of one {@link ClientConfig} to one call. */
final class OutboundCallImpl implements OutboundCall {
  private final ClientConfig config;
  private final Context parent;
  private final String method;
  private final RequestCtx ctx;
  private final OutboundBudget verdict;
  private final @Nullable Rejection rejection;
  /**
   * With an adaptive reserve, the ticker the call's elapsed time is measured on (the caller's
   * deadline's, else the system's); null otherwise: nothing is measured.
   */
  private final @Nullable Ticker ticker;
  /** Whether the verdict's reserve is the callee's observed transit (adaptive reserve, known transit). */
  private final boolean adaptiveReserve;
  private volatile long startNanos;
  private volatile boolean started;
  // Guarded by this.
  private @Nullable Span span;
  private @Nullable TraceContext trace;
  private boolean ended;

  private OutboundCallImpl(
      ClientConfig config, Context parent, String method, RequestCtx ctx, OutboundBudget verdict,
      @Nullable Rejection rejection, @Nullable Ticker ticker, boolean adaptiveReserve) {
    this.config = config;
    this.parent = parent;
    this.method = method;
    this.ctx = ctx;
    this.verdict = verdict;
    this.rejection = rejection;
    this.ticker = ticker;
    this.adaptiveReserve = adaptiveReserve;
  }

  static OutboundCall prepare(ClientConfig config, Context parent, String method) {
    requireNonNull(config, "config");
    requireNonNull(parent, "parent");
    requireNonNull(method, "method");
    RequestCtx ctx = RequestCtx.fromContext(parent);
    Callee callee = callee(config, ctx, method);
    Ticker ticker = null;
    Duration transit = null;
    if (config.policy().adaptiveReserve()) {
      ticker = ctx.deadline().map(Deadline::ticker).orElseGet(Ticker::system);
      transit = TransitReserves.of(config).estimate(callee.name(), ticker.nanoTime());
    }
    Duration remaining = ctx.remainingBudget().orElse(null);
    AttemptBound attempt = AttemptBound.of(ctx);
    OutboundBudget verdict = attempt == null || remaining == null
        ? config.policy().outbound(remaining, ctx.tier(), callee, transit)
        : config.policy().outboundInAttempt(attempt.requestRemaining(), remaining, ctx.tier(), callee, transit);
    return new OutboundCallImpl(config, parent, method, ctx, verdict, rejection(ctx, verdict), ticker, transit != null);
  }

  /**
   * The callee the budget is computed for. Outside any request (no request id) a callee without a
   * method budget gets no deadline from its tier cap, unless the configuration asks for one.
   */
  private static Callee callee(ClientConfig config, RequestCtx ctx, String method) {
    Callee callee = config.callee(method);
    boolean outsideRequest = ctx.requestId().isEmpty();
    if (outsideRequest && !config.tierCapOutsideRequests() && callee.methodBudget() == null && !callee.longLived()) {
      return Callee.longLived(callee.name(), callee.tier());
    }
    return callee;
  }

  private static @Nullable Rejection rejection(RequestCtx ctx, OutboundBudget verdict) {
    Throwable cancelled = ctx.cancellationCause();
    if (cancelled != null) {
      return new Rejection(
          Rejection.Reason.CANCELLED,
          "reqctx: call to " + verdict.callee().name() + " not sent: the request was already cancelled ("
              + firstLine(cancelled) + ")");
    }
    return verdict instanceof OutboundBudget.FailFast failFast ? failFast.rejection() : null;
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
  public void start() {
    synchronized (this) {
      if (span != null) {
        return;
      }
      span = startSpan();
      if (ticker != null) {
        startNanos = ticker.nanoTime();
        started = true;
      }
    }
    Metrics metrics = Metrics.of(config.openTelemetry());
    Duration reserve = reserve();
    if (reserve != null) {
      metrics.recordReserve(verdict.callee().name(), reserve.toNanos(), adaptiveReserve);
    }
    if (verdict.tierViolation()) {
      TierViolations.report(metrics, ctx.tier(), verdict.callee().tier(), method);
    }
    if (rejection != null) {
      if (verdict instanceof OutboundBudget.FailFast failFast && rejection.reason() == failFast.reason()) {
        metrics.recordRejection(ctx.tier(), failFast);
      }
      end(Outcome.REJECTED);
    }
  }

  /** The reserve the verdict kept back, or null when the caller had no deadline. */
  private @Nullable Duration reserve() {
    if (ctx.deadline().isEmpty()) {
      return null;
    }
    if (verdict instanceof OutboundBudget.Send send) {
      return send.reserve();
    }
    return verdict instanceof OutboundBudget.FailFast failFast ? failFast.reserve() : null;
  }

  private Span startSpan() {
    Span span = startSpanWithoutReserve();
    Duration reserve = reserve();
    if (reserve != null && config.spans() != SpanMode.OFF) {
      span.setAttribute(TelemetryAttributes.RESERVE_MS, reserve.toNanos() / 1e6);
      span.setAttribute(TelemetryAttributes.RESERVE_SOURCE, adaptiveReserve ? "adaptive" : "fixed");
    }
    return span;
  }

  private Span startSpanWithoutReserve() {
    if (config.spans() != SpanMode.CREATE) {
      Span current = Span.fromContext(parent);
      if (config.spans() == SpanMode.ENRICH) {
        putAttributes(SpanAttributes.Sink.of(current));
      }
      return current;
    }
    SpanBuilder builder = config.openTelemetry().getTracer(SpanAttributes.TRACER_NAME)
        .spanBuilder(method)
        .setSpanKind(SpanKind.CLIENT)
        .setParent(parent);
    putAttributes(SpanAttributes.Sink.of(builder));
    return builder.startSpan();
  }

  private void putAttributes(SpanAttributes.Sink span) {
    SpanAttributes.outbound(span, ctx.tier(), verdict.callee().tier(), ctx.hopCount(), budget());
  }

  @Override
  public void writeHeaders(HeaderWriter writer) {
    requireNonNull(writer, "writer");
    start();
    Egress egress = config.egress();
    if (egress == Egress.FLEET) {
      if (!ctx.requestId().isEmpty()) {
        writer.put(WireHeaders.REQUEST_ID, ctx.requestId());
      }
      writer.put(WireHeaders.TIER, ctx.tier().name());
      writer.put(WireHeaders.HOP, HopCount.format(ctx.hopCount() + 1));
      writer.put(WireHeaders.ATTEMPT, AttemptNumber.format(ctx.outgoingAttempt()));
      ctx.forEachValue((key, value) -> writeValue(writer, key, value));
    } else {
      writer.remove(WireHeaders.REQUEST_ID); // a callee outside the fleet never learns the request id
    }
    if (config.spans() != SpanMode.ENRICH) { // in ENRICH mode the owning instrumentation writes the trace
      boolean send = egress != Egress.EXTERNAL_NONE;
      TraceContext sent = send ? trace() : null;
      putOrRemove(writer, WireHeaders.TRACEPARENT, sent == null ? null : sent.traceParent().encode());
      putOrRemove(writer, WireHeaders.TRACESTATE,
          sent == null ? null : sent.tracestateHeader(TraceState.DEFAULT_PROPAGATION_LIMIT));
      putOrRemove(writer, WireHeaders.BAGGAGE, send ? HopBaggage.header(parent) : null);
    }
  }

  @Override
  public void writeBudgetHeader(HeaderWriter writer) {
    requireNonNull(writer, "writer");
    Optional<Duration> budget = budget();
    if (budget.isPresent() && config.egress() == Egress.FLEET) {
      writer.put(WireHeaders.BUDGET_MS, BudgetMillis.format(budget.get().toMillis()));
    } else {
      writer.remove(WireHeaders.BUDGET_MS);
    }
  }

  private static void putOrRemove(HeaderWriter writer, String name, @Nullable String value) {
    if (value == null) {
      writer.remove(name);
    } else {
      writer.put(name, value);
    }
  }

  /**
   * The trace this call sends, chosen once the span started: the ids of the span an SDK made for it
   * ({@link SpanMode#CREATE}) or of the application's current span ({@link SpanMode#OFF}); without
   * one, the hop's trace with a fresh parent-id ({@link HopTrace#forCall}).
   */
  synchronized TraceContext trace() {
    TraceContext chosen = trace;
    if (chosen == null) {
      SpanContext candidate = requireNonNull(span, "span").getSpanContext();
      boolean fromSdk = config.spans() == SpanMode.CREATE
          ? HopTrace.isNewSpan(candidate, parent)
          : HopTrace.isSdkSpan(candidate, parent);
      chosen = HopTrace.forCall(parent, ctx, fromSdk ? candidate : null);
      trace = chosen;
    }
    return chosen;
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
  public void received(HeaderReader headers) {
    requireNonNull(headers, "headers");
    Ticker clock = ticker;
    if (clock == null || !started) {
      return;
    }
    OptionalLong calleeMicros = ElapsedMicros.parseMicros(headers.single(WireHeaders.ELAPSED_US));
    if (calleeMicros.isEmpty()) {
      return; // a callee that does not report its elapsed time leaves its reserve fixed
    }
    long now = clock.nanoTime();
    long transit = now - startNanos - calleeMicros.getAsLong() * 1_000L;
    TransitReserves.of(config).record(verdict.callee().name(), transit, now);
  }

  @Override
  public void end(Outcome outcome) {
    requireNonNull(outcome, "outcome");
    Span started;
    synchronized (this) {
      if (span == null || ended) {
        return;
      }
      ended = true;
      started = span;
    }
    if (outcome == Outcome.DEADLINE_EXCEEDED) {
      Metrics.of(config.openTelemetry()).recordDeadlineExceeded(ctx.tier(), Metrics.Side.CLIENT);
    }
    SpanAttributes.end(started, config.spans(), outcome, outcome == Outcome.REJECTED ? rejection : null);
  }

  @Override
  public String toString() {
    return "OutboundCall[" + verdict.callee().name() + ", " + (rejection == null ? verdict : rejection) + "]";
  }
}
