package io.reqctx.transport;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

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

  /** Records the outcome and ends the span; a span reqctx did not create is left alone. */
  static void end(Span span, boolean owned, Outcome outcome) {
    if (!owned) {
      return;
    }
    span.setAttribute(OUTCOME, outcome.attributeValue());
    if (outcome != Outcome.OK) {
      span.setStatus(StatusCode.ERROR, outcome.attributeValue());
    }
    span.end();
  }
}
