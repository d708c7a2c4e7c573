package io.reqctx.internal.transport;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.Tier;
import io.reqctx.internal.telemetry.TelemetryAttributes;
import io.reqctx.transport.SpanMode;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The span attributes reqctx records, and the one way a span is ended with an outcome. */
final class SpanAttributes {
  static final String TRACER_NAME = "io.reqctx";
  // The names are defined, for spans and metrics alike, in TelemetryAttributes.
  static final AttributeKey<String> TIER = TelemetryAttributes.TIER;
  static final AttributeKey<String> CALLER_TIER = TelemetryAttributes.CALLER_TIER;
  static final AttributeKey<String> CALLEE_TIER = TelemetryAttributes.CALLEE_TIER;
  static final AttributeKey<Long> HOP = TelemetryAttributes.HOP;
  static final AttributeKey<Long> INBOUND_BUDGET_MS = TelemetryAttributes.INBOUND_BUDGET_MS;
  static final AttributeKey<Long> OUTBOUND_BUDGET_MS = TelemetryAttributes.OUTBOUND_BUDGET_MS;
  static final AttributeKey<String> OUTCOME = TelemetryAttributes.OUTCOME;
  static final AttributeKey<String> REASON = TelemetryAttributes.REASON;
  static final AttributeKey<String> CAUSE = TelemetryAttributes.CAUSE;

  private SpanAttributes() {}

  /**
   * Where attributes are written: straight onto a span being built or enriched. (Building an
   * {@link Attributes} first would sort and copy them once more for nothing; this is on every call.)
   */
  interface Sink {
    <T> void put(AttributeKey<T> key, T value);

    static Sink of(SpanBuilder builder) {
      return new Sink() {
        @Override
        public <T> void put(AttributeKey<T> key, T value) {
          builder.setAttribute(key, value);
        }
      };
    }

    static Sink of(Span span) {
      return new Sink() {
        @Override
        public <T> void put(AttributeKey<T> key, T value) {
          span.setAttribute(key, value);
        }
      };
    }
  }

  /** Puts the attributes of a SERVER span: no budget attribute for a call without a deadline. */
  static void inbound(Sink span, Tier tier, int hops, Optional<Duration> budget, @Nullable Tier callerTier) {
    span.put(TIER, tier.name());
    span.put(HOP, (long) hops);
    if (budget.isPresent()) {
      span.put(INBOUND_BUDGET_MS, budget.get().toMillis());
    }
    if (callerTier != null) {
      span.put(CALLER_TIER, callerTier.name());
    }
  }

  /** Puts the attributes of a CLIENT span: no budget attribute for a call sent without a deadline. */
  static void outbound(Sink span, Tier tier, Tier calleeTier, int hops, Optional<Duration> budget) {
    span.put(TIER, tier.name());
    span.put(CALLEE_TIER, calleeTier.name());
    span.put(HOP, (long) hops);
    if (budget.isPresent()) {
      span.put(OUTBOUND_BUDGET_MS, budget.get().toMillis());
    }
  }

  /**
   * Records the outcome (and a rejection's reason); ends the span only when reqctx created it. An
   * enriched span gets the attributes and is left for its owner to end.
   */
  static void end(Span span, SpanMode mode, Outcome outcome, @Nullable Rejection rejection) {
    if (mode == SpanMode.OFF) {
      return;
    }
    span.setAttribute(OUTCOME, outcome.attributeValue());
    if (rejection != null) {
      span.setAttribute(REASON, rejection.reason().attributeValue());
    }
    if (mode == SpanMode.ENRICH) {
      return;
    }
    if (outcome != Outcome.OK) {
      span.setStatus(StatusCode.ERROR, rejection != null ? rejection.reason().attributeValue() : outcome.attributeValue());
    }
    span.end();
  }

  /**
   * A span event for the scope's cancel, named after what the cause stands for ({@code
   * reqctx.deadline_exceeded}, {@code reqctx.cancelled}, {@code reqctx.error}), with its first line.
   */
  static void cancelled(Span span, Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    int newline = message.indexOf('\n');
    span.addEvent(
        "reqctx." + Outcome.ofCancellation(cause).attributeValue(),
        Attributes.of(CAUSE, newline < 0 ? message : message.substring(0, newline)));
  }
}
