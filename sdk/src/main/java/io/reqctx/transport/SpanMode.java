package io.reqctx.transport;

/**
 * What reqctx does with spans. Use {@link #ENRICH} when OpenTelemetry's own gRPC or Armeria
 * instrumentation is installed, so each hop keeps one server span and one client span. Under
 * OpenTelemetry's Java agent that is the default: a config that does not choose enriches the agent's
 * spans.
 *
 * <p>In every mode but {@link #ENRICH} reqctx owns the W3C headers {@code traceparent}, {@code
 * tracestate} and {@code baggage}: it reads and writes them with its own strict codecs (docs/WIRE.md,
 * "Trace context and baggage"), whatever propagators the OpenTelemetry instance has, and it keeps the
 * trace with or without an OpenTelemetry SDK.
 *
 * <pre>{@code
 * ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).spans(SpanMode.ENRICH).build();
 * }</pre>
 */
public enum SpanMode {
  /**
   * reqctx creates the SERVER span of each inbound call and the CLIENT span of each outgoing call
   * (the default without OpenTelemetry's Java agent). With an OpenTelemetry SDK the spans' ids are the
   * ones on the wire; with none (no OpenTelemetry, or a propagation-only one) the trace is kept as with
   * {@link #OFF}.
   */
  CREATE,
  /**
   * Another instrumentation owns the spans and the trace propagation: reqctx adds its attributes and
   * events to the span that is current when its interceptor runs, and neither reads nor writes
   * {@code traceparent}, {@code tracestate} or {@code baggage}. Register reqctx inside (after) that
   * instrumentation so its span is current.
   */
  ENRICH,
  /**
   * No spans of reqctx's own: the inbound trace (or a new one) is kept for logs and for the
   * application's spans, and every outgoing call carries the same trace id with a parent-id of its
   * own — the application's current span's when an SDK made one, a fresh random one otherwise.
   */
  OFF
}
