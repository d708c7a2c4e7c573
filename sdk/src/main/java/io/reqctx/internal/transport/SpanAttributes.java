package io.reqctx.internal.transport;

import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Outcome;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.reqctx.DeadlineExceededException;
import io.reqctx.internal.telemetry.TelemetryAttributes;

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

  private SpanAttributes() {}

  static final AttributeKey<String> CAUSE = TelemetryAttributes.CAUSE;

  /**
   * Records the outcome; ends the span only when reqctx created it. An enriched span gets the outcome
   * attribute and is left for its owner to end.
   */
  static void end(Span span, SpanMode mode, Outcome outcome) {
    if (mode == SpanMode.OFF) {
      return;
    }
    span.setAttribute(OUTCOME, outcome.attributeValue());
    if (mode == SpanMode.ENRICH) {
      return;
    }
    if (outcome != Outcome.OK) {
      span.setStatus(StatusCode.ERROR, outcome.attributeValue());
    }
    span.end();
  }

  /** A span event for the scope's cancel or deadline, with the cause's first line. */
  static void cancelled(Span span, Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    int newline = message.indexOf('\n');
    span.addEvent(
        cause instanceof DeadlineExceededException ? "reqctx.deadline_exceeded" : "reqctx.cancelled",
        Attributes.of(CAUSE, newline < 0 ? message : message.substring(0, newline)));
  }
}
