package io.reqctx.transport;

/**
 * What reqctx does with spans. Use {@link #ENRICH} when OpenTelemetry's own gRPC or Armeria
 * instrumentation is installed, so each hop keeps one server span and one client span. Under
 * OpenTelemetry's Java agent that is the default: a config that does not choose enriches the agent's
 * spans.
 *
 * <pre>{@code
 * ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).spans(SpanMode.ENRICH).build();
 * }</pre>
 */
public enum SpanMode {
  /**
   * reqctx creates the SERVER span of each inbound call and the CLIENT span of each outgoing call, and
   * extracts and injects the W3C trace context itself (the default without OpenTelemetry's Java agent).
   */
  CREATE,
  /**
   * Another instrumentation owns the spans and the trace propagation: reqctx adds its attributes and
   * events to the span that is current when its interceptor runs, and neither extracts nor injects
   * trace headers. Register reqctx inside (after) that instrumentation so its span is current.
   */
  ENRICH,
  /**
   * No spans: the inbound trace context is still extracted, kept in the ctx (for logs) and injected
   * into outgoing calls unchanged.
   */
  OFF
}
