package io.reqctx.internal.transport;

import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Rejection;
import io.reqctx.transport.Outcome;
import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.trace.Span;
import io.reqctx.internal.telemetry.Metrics;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.DeadlineExceededException;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.internal.wire.AttemptNumber;
import io.reqctx.internal.wire.HopCount;
import io.reqctx.internal.wire.RequestId;
import io.reqctx.internal.wire.TierName;
import io.reqctx.internal.wire.WireHeaders;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** Applies the inbound rules of one {@link ServerConfig} to one request. */
final class InboundCallImpl implements InboundCall {
  private final CancellableCtx scope;
  private final Span span;
  private final SpanMode spans;
  private final RequestCtx.@Nullable CancelRegistration spanEvents;
  private final Context context;
  private final Duration budget;
  private final @Nullable Tier callerTier;
  private final @Nullable Rejection rejection;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Metrics metrics;

  private InboundCallImpl(
      Metrics metrics,
      CancellableCtx scope,
      Span span,
      SpanMode spans,
      Context context,
      Duration budget,
      @Nullable Tier callerTier,
      @Nullable Rejection rejection) {
    this.metrics = metrics;
    this.scope = scope;
    this.span = span;
    this.spans = spans;
    this.spanEvents = spans == SpanMode.OFF ? null : scope.ctx().onCancel(cause -> SpanAttributes.cancelled(span, cause));
    this.context = context;
    this.budget = budget;
    this.callerTier = callerTier;
    this.rejection = rejection;
  }

  @SuppressWarnings("MustBeClosedChecker") // the scope is owned, and closed, by the returned call
  static InboundCall open(
      ServerConfig config, HeaderReader headers, String method, @Nullable Duration inboundRemaining) {
    requireNonNull(config, "config");
    requireNonNull(headers, "headers");
    requireNonNull(method, "method");
    boolean trusted = config.trust() == Trust.TRUSTED;

    Context parent = Context.current();
    if (config.spans() != SpanMode.ENRICH && config.continueInboundTrace()) {
      parent =
          config.openTelemetry().getPropagators().getTextMapPropagator().extract(parent, headers, HeaderGetter.INSTANCE);
    }

    Callee methodBudget = config.methodBudget(method);
    Duration budget =
        config.policy().inboundBudget(
            inboundRemaining, config.tier(), methodBudget == null ? null : methodBudget.methodBudget());
    int hops = trusted ? HopCount.parse(headers.single(WireHeaders.HOP)).orElse(0) : 0;
    int attempt =
        trusted ? AttemptNumber.parse(headers.single(WireHeaders.ATTEMPT)).orElse(AttemptNumber.FIRST) : AttemptNumber.FIRST;
    Tier callerTier = trusted ? tierOf(headers.single(WireHeaders.TIER)) : null;
    String requestId = headers.single(WireHeaders.REQUEST_ID);

    Span span;
    if (config.spans() == SpanMode.CREATE) {
      span =
          config.openTelemetry().getTracer(SpanAttributes.TRACER_NAME)
              .spanBuilder(method)
              .setSpanKind(SpanKind.SERVER)
              .setParent(parent)
              .setAttribute(SpanAttributes.TIER, config.tier().name())
              .setAttribute(SpanAttributes.HOP, (long) hops)
              .setAttribute(SpanAttributes.INBOUND_BUDGET_MS, budget.toMillis())
              .startSpan();
      if (callerTier != null) {
        span.setAttribute(SpanAttributes.CALLER_TIER, callerTier.name());
      }
    } else {
      span = Span.fromContext(parent);
      if (config.spans() == SpanMode.ENRICH) {
        span.setAttribute(SpanAttributes.TIER, config.tier().name());
        span.setAttribute(SpanAttributes.HOP, (long) hops);
        span.setAttribute(SpanAttributes.INBOUND_BUDGET_MS, budget.toMillis());
        if (callerTier != null) {
          span.setAttribute(SpanAttributes.CALLER_TIER, callerTier.name());
        }
      }
    }

    CancellableCtx.Builder builder =
        CancellableCtx.newRoot(config.tier())
            .ticker(config.ticker())
            .budget(budget)
            .requestId(RequestId.isValid(requestId) ? requestId : RequestId.generate())
            .hopCount(hops)
            .inboundAttempt(attempt)
            .spanContext(span.getSpanContext())
            .observer(Metrics.of(config.openTelemetry())); // scope-level metrics of this call's scope tree
    for (CtxKey<?> key : config.acceptedKeys()) {
      if (trusted || !key.isSensitive()) {
        addValue(builder, key, headers.single(key.headerName()), Metrics.of(config.openTelemetry()));
      }
    }
    CancellableCtx scope = builder.open();
    Metrics.of(config.openTelemetry()).recordArrival(config.tier(), budget, hops);
    if (callerTier != null && config.policy().isTierViolation(callerTier, config.tier())) {
      TierViolations.report(Metrics.of(config.openTelemetry()), callerTier, config.tier(), method);
    }
    Context context = parent.with(span).with(scope.ctx());
    return new InboundCallImpl(
        Metrics.of(config.openTelemetry()), scope, span, config.spans(), context, budget, callerTier, rejection(config, method, budget, hops, inboundRemaining));
  }

  private static <T> void addValue(
      CancellableCtx.Builder builder, CtxKey<T> key, @Nullable String wireValue, Metrics metrics) {
    if (wireValue == null) {
      return;
    }
    T value = key.decodeFromWire(wireValue);
    if (value != null) {
      builder.value(key, value);
    } else {
      metrics.onDroppedValue(key, "undecodable or oversized");
    }
  }

  private static @Nullable Rejection rejection(
      ServerConfig config, String method, Duration budget, int hops, @Nullable Duration inboundRemaining) {
    if (hops > config.maxHops()) {
      return new Rejection(
          Rejection.Reason.HOP_LIMIT,
          "reqctx: " + method + " refused: hop count " + hops + " is above the limit " + config.maxHops()
              + " (a call loop?); raise ServerConfig.builder(...).maxHops(n) if the chain is really that deep");
    }
    if (budget.isZero()) {
      return new Rejection(
          Rejection.Reason.BUDGET_EXHAUSTED,
          "reqctx: " + method + " refused: no budget left on arrival (caller's remaining "
              + (inboundRemaining == null ? "none" : Math.max(0, inboundRemaining.toMillis()) + "ms")
              + ", tier " + config.tier().name() + " cap " + config.tier().cap().toMillis() + "ms)");
    }
    return null;
  }

  private static @Nullable Tier tierOf(@Nullable String header) {
    String name = TierName.parse(header);
    return name == null ? null : Tier.forName(name).orElse(null);
  }

  @Override
  public @Nullable Rejection rejection() {
    return rejection;
  }

  @Override
  public RequestCtx ctx() {
    return scope.ctx();
  }

  @Override
  public Duration budget() {
    return budget;
  }

  @Override
  public Optional<Tier> callerTier() {
    return Optional.ofNullable(callerTier);
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public void cancel(Throwable cause) {
    scope.cancel(requireNonNull(cause, "cause"));
  }

  @Override
  public void close(Outcome outcome) {
    requireNonNull(outcome, "outcome");
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (outcome == Outcome.DEADLINE_EXCEEDED) {
      metrics.recordDeadlineExceeded(scope.ctx().tier(), Metrics.Side.SERVER);
    }
    if (spanEvents != null) {
      spanEvents.remove(); // closing cancels the scope; that is not an event of the call
    }
    try {
      scope.close();
    } finally {
      SpanAttributes.end(span, spans, outcome);
    }
  }

  @Override
  public void close() {
    close(outcomeFromState());
  }

  private Outcome outcomeFromState() {
    if (rejection != null) {
      return rejection.reason() == Rejection.Reason.BUDGET_EXHAUSTED ? Outcome.DEADLINE_EXCEEDED : Outcome.REJECTED;
    }
    Throwable cause = scope.ctx().cancellationCause();
    if (cause == null) {
      return Outcome.OK;
    }
    return cause instanceof DeadlineExceededException ? Outcome.DEADLINE_EXCEEDED : Outcome.CANCELLED;
  }

  @Override
  public String toString() {
    return "InboundCall[" + scope.ctx() + (rejection == null ? "" : ", rejected: " + rejection.reason()) + "]";
  }
}
