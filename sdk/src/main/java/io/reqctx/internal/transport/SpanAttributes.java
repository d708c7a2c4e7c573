package io.reqctx.internal.transport;

import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Outcome;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.reqctx.DeadlineExceededException;

/** The span attributes reqctx records, and the one way a span is ended with an outcome. */
final class SpanAttributes {
  static final String TRACER_NAME = "io.reqctx";
  static final AttributeKey<String> TIER = AttributeKey.stringKey("reqctx.tier");
  static final AttributeKey<String> CALLER_TIER = AttributeKey.stringKey("reqctx.caller_tier");
  static final AttributeKey<String> CALLEE_TIER = AttributeKey.stringKey("reqctx.callee_tier");
  static final AttributeKey<Long> HOP = AttributeKey.longKey("reqctx.hop");
  static final AttributeKey<Long> INBOUND_BUDGET_MS = AttributeKey.longKey("reqctx.budget.inbound_ms");
  static final AttributeKey<Long> OUTBOUND_BUDGET_MS = AttributeKey.longKey("reqctx.budget.outbound_ms");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("reqctx.outcome");

  private SpanAttributes() {}

  static final AttributeKey<String> CAUSE = AttributeKey.stringKey("reqctx.cause");

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
