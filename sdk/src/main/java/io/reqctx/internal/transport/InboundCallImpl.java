package io.reqctx.internal.transport;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.reqctx.CancellableCtx;
import io.reqctx.CtxKey;
import io.reqctx.Deadline;
import io.reqctx.DeadlineExceededException;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import io.reqctx.Tier;
import io.reqctx.internal.telemetry.Metrics;
import io.reqctx.internal.wire.ElapsedMicros;
import io.reqctx.internal.wire.WireHeaders;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** Applies the inbound rules of one {@link ServerConfig} to one request: read, decide, open. */
final class InboundCallImpl implements InboundCall {
  private final InboundRequest request;
  private final Decision decision;
  private final Tier tier;
  private final Metrics metrics;
  private final CancellableCtx scope;
  private final Span span;
  private final SpanMode spans;
  private final Context context;
  private final @Nullable Deadline callerDeadline;
  private final RequestCtx.@Nullable CancelRegistration spanEvents;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Ticker ticker;
  private final long openedNanos;
  private final boolean reportElapsed;

  private InboundCallImpl(
      ServerConfig config, InboundRequest request, Decision decision, Metrics metrics, CancellableCtx scope,
      ServerSpan serverSpan) {
    this.ticker = config.ticker();
    this.openedNanos = ticker.nanoTime();
    this.reportElapsed = config.trust() == Trust.TRUSTED;
    this.request = request;
    this.decision = decision;
    this.tier = config.tier();
    this.metrics = metrics;
    this.scope = scope;
    this.span = serverSpan.span();
    this.spans = config.spans();
    Context withSpan = request.parent().with(span);
    HopTrace hop = serverSpan.hop();
    this.context = (hop == null ? withSpan : withSpan.with(hop)).with(scope.ctx());
    Duration sent = request.inboundRemaining();
    this.callerDeadline = sent == null ? null : Deadline.after(sent, config.ticker());
    this.spanEvents = spans == SpanMode.OFF ? null : scope.ctx().onCancel(cause -> SpanAttributes.cancelled(span, cause));
  }

  @Override
  public void writeElapsed(HeaderWriter writer) {
    requireNonNull(writer, "writer");
    if (reportElapsed) {
      writer.put(WireHeaders.ELAPSED_US, ElapsedMicros.format(ticker.nanoTime() - openedNanos));
    }
  }

  static InboundCall open(ServerConfig config, HeaderReader headers, String method, @Nullable Duration inboundRemaining) {
    requireNonNull(config, "config");
    requireNonNull(headers, "headers");
    requireNonNull(method, "method");
    Metrics metrics = Metrics.of(config.openTelemetry());
    InboundRequest request = InboundRequest.parse(config, headers, method, inboundRemaining, metrics);
    Decision decision = Decision.of(config, request);
    return openScope(config, request, decision, metrics);
  }

  /** What the inbound rules make of a request: its budget (none: no deadline) and its rejection. */
  record Decision(Optional<Duration> budget, @Nullable Rejection rejection) {

    static Decision of(ServerConfig config, InboundRequest request) {
      Optional<Duration> budget =
          config.policy().inbound(request.inboundRemaining(), config.tier(), request.declaration());
      return new Decision(budget, rejection(config, request, budget));
    }

    private static @Nullable Rejection rejection(ServerConfig config, InboundRequest request, Optional<Duration> budget) {
      if (request.hops() > config.maxHops()) {
        return new Rejection(
            Rejection.Reason.HOP_LIMIT,
            "reqctx: " + request.method() + " refused: hop count " + request.hops() + " is above the limit "
                + config.maxHops() + " (a call loop?); raise ServerConfig.builder(...).maxHops(n) if the chain is really that deep");
      }
      if (budget.isPresent() && budget.get().isZero()) {
        Duration sent = request.inboundRemaining();
        boolean longLived = request.declaration() != null && request.declaration().longLived();
        return new Rejection(
            Rejection.Reason.BUDGET_EXHAUSTED,
            "reqctx: " + request.method() + " refused: no budget left on arrival (caller's remaining "
                + (sent == null ? "none" : Math.max(0, sent.toMillis()) + "ms")
                + ", tier " + config.tier().name() + " cap "
                + (longLived ? "none (long-lived method)" : tierCap(config).toMillis() + "ms") + ")");
      }
      return null;
    }

    /** The tier's cap as the budget policy applies it (saturated). */
    private static Duration tierCap(ServerConfig config) {
      return config.policy().inboundBudget(null, config.tier(), null);
    }
  }

  /** Starts the span, opens the scope and records the arrival; undoes what it did if a step throws. */
  @SuppressWarnings("MustBeClosedChecker") // the scope is owned, and closed, by the returned call
  private static InboundCall openScope(ServerConfig config, InboundRequest request, Decision decision, Metrics metrics) {
    ServerSpan serverSpan = startSpan(config, request, decision);
    Span span = serverSpan.span();
    CancellableCtx scope = null;
    try {
      CancellableCtx.Builder builder =
          CancellableCtx.newRoot(config.tier())
              .ticker(config.ticker())
              .requestId(request.requestId())
              .hopCount(request.hops())
              .inboundAttempt(request.attempt())
              .spanContext(span.getSpanContext())
              .observer(metrics); // scope-level metrics of this call's scope tree
      decision.budget().ifPresent(builder::budget);
      addValues(builder, request.values());
      scope = builder.open();
      InboundCallImpl call = new InboundCallImpl(config, request, decision, metrics, scope, serverSpan);
      recordArrival(config, request, decision, metrics);
      return call;
    } catch (RuntimeException | Error e) {
      try {
        if (scope != null) {
          scope.close();
        }
      } finally {
        if (config.spans() == SpanMode.CREATE) {
          span.end();
        }
      }
      throw e;
    }
  }

  /**
   * The span the call runs in, and the hop's W3C trace ({@link HopTrace}): with {@link SpanMode#ENRICH}
   * the current span (enriched) and no trace of reqctx's own; otherwise reqctx's SERVER span when a
   * tracer made one ({@link SpanMode#CREATE} with an OpenTelemetry SDK), else reqctx's stand-in, a
   * non-recording span with the hop's ids.
   */
  private static ServerSpan startSpan(ServerConfig config, InboundRequest request, Decision decision) {
    if (config.spans() == SpanMode.ENRICH) {
      Span span = Span.fromContext(request.parent());
      putAttributes(SpanAttributes.Sink.of(span), config, request, decision);
      return new ServerSpan(span, null);
    }
    if (config.spans() == SpanMode.OFF) {
      HopTrace hop = HopTrace.standIn(request.trace());
      return new ServerSpan(Span.wrap(hop.span()), hop);
    }
    SpanBuilder builder = config.openTelemetry().getTracer(SpanAttributes.TRACER_NAME)
        .spanBuilder(request.method())
        .setSpanKind(SpanKind.SERVER)
        .setParent(request.parent());
    putAttributes(SpanAttributes.Sink.of(builder), config, request, decision);
    Span created = builder.startSpan();
    HopTrace hop = HopTrace.ofServerSpan(created.getSpanContext(), request.parent(), request.trace());
    if (!hop.standIn()) {
      return new ServerSpan(created, hop);
    }
    created.end(); // no SDK made it (a no-op tracer's span): nothing to keep
    return new ServerSpan(Span.wrap(hop.span()), hop);
  }

  /** The span a call runs in and, unless another instrumentation owns the trace, the hop's trace. */
  private record ServerSpan(Span span, @Nullable HopTrace hop) {}

  private static void putAttributes(
      SpanAttributes.Sink span, ServerConfig config, InboundRequest request, Decision decision) {
    SpanAttributes.inbound(span, config.tier(), request.hops(), decision.budget(), request.callerTier());
  }

  @SuppressWarnings("unchecked")
  private static void addValues(CancellableCtx.Builder builder, List<Object> values) {
    for (int i = 0; i < values.size(); i += 2) {
      builder.value((CtxKey<Object>) values.get(i), values.get(i + 1));
    }
  }

  private static void recordArrival(ServerConfig config, InboundRequest request, Decision decision, Metrics metrics) {
    // A call without a deadline has no budget to record; see docs/OBSERVABILITY.md.
    decision.budget().ifPresent(budget -> metrics.recordArrival(config.tier(), budget, request.hops()));
    Tier callerTier = request.callerTier();
    if (callerTier != null && config.policy().isTierViolation(callerTier, config.tier())) {
      TierViolations.report(metrics, callerTier, config.tier(), request.method());
    }
  }

  @Override
  public @Nullable Rejection rejection() {
    return decision.rejection();
  }

  @Override
  public RequestCtx ctx() {
    return scope.ctx();
  }

  @Override
  public Optional<Duration> budget() {
    return decision.budget();
  }

  @Override
  public Optional<Tier> callerTier() {
    return Optional.ofNullable(request.callerTier());
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
  public void callerLeft() {
    Deadline sent = callerDeadline;
    if (sent != null && sent.remainingNanos() <= CALLER_DEADLINE_GRACE.toNanos()) {
      transportDeadlinePassed();
    } else {
      scope.cancel(new CancellationException("reqctx: the caller left (it reset the call or disconnected)"));
    }
  }

  @Override
  public void transportDeadlinePassed() {
    scope.cancel(new DeadlineExceededException(decision.budget().orElse(Duration.ZERO), tier));
  }

  @Override
  public void close(Outcome outcome) {
    requireNonNull(outcome, "outcome");
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (spanEvents != null) {
      spanEvents.remove(); // the close and the cancel that matches its outcome are not events of the call
    }
    Throwable endCause = causeMatching(outcome);
    if (endCause != null) {
      scope.cancel(endCause); // a no-op when the scope was cancelled before: the first cause stays
    }
    if (outcome == Outcome.DEADLINE_EXCEEDED
        || (outcome == Outcome.REJECTED && rejectionReason() == Rejection.Reason.BUDGET_EXHAUSTED)) {
      metrics.recordDeadlineExceeded(tier, Metrics.Side.SERVER);
    }
    try {
      scope.close();
    } finally {
      SpanAttributes.end(span, spans, outcome, decision.rejection());
    }
  }

  @Override
  public void close() {
    close(decision.rejection() != null ? Outcome.REJECTED : Outcome.ofCancellation(scope.ctx().cancellationCause()));
  }

  private Rejection.@Nullable Reason rejectionReason() {
    Rejection rejection = decision.rejection();
    return rejection == null ? null : rejection.reason();
  }

  /** A cancellation cause for which {@link Outcome#ofCancellation} gives {@code outcome}; null for OK. */
  private @Nullable Throwable causeMatching(Outcome outcome) {
    return switch (outcome) {
      case OK -> null;
      case DEADLINE_EXCEEDED -> new DeadlineExceededException(decision.budget().orElse(Duration.ZERO), tier);
      case CANCELLED -> new CancellationException("reqctx: " + request.method() + " was cancelled");
      case ERROR -> new CallFailedException(request.method());
      case REJECTED -> {
        Rejection rejection = requireNonNull(decision.rejection(), "a call closed as REJECTED must have a rejection");
        yield rejection.reason() == Rejection.Reason.BUDGET_EXHAUSTED
            ? new DeadlineExceededException(Duration.ZERO, tier)
            : new CancellationException(rejection.message());
      }
    };
  }

  @Override
  public String toString() {
    Rejection rejection = decision.rejection();
    return "InboundCall[" + scope.ctx() + (rejection == null ? "" : ", rejected: " + rejection.reason()) + "]";
  }

  /** The cause a scope is cancelled with when its call ended with an error and no exception says more. */
  static final class CallFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CallFailedException(String method) {
      super("reqctx: " + method + " ended with an error", null, false, false);
    }
  }
}
