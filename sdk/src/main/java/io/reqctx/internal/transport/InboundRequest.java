package io.reqctx.internal.transport;

import io.opentelemetry.context.Context;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.Tier;
import io.reqctx.internal.telemetry.Metrics;
import io.reqctx.internal.wire.AttemptNumber;
import io.reqctx.internal.wire.Baggage;
import io.reqctx.internal.wire.HopCount;
import io.reqctx.internal.wire.RequestId;
import io.reqctx.internal.wire.TierName;
import io.reqctx.internal.wire.TraceContext;
import io.reqctx.internal.wire.WireHeaders;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.SpanMode;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Everything one inbound request says about itself, read once through the wire codecs, with the
 * server's trust rules applied: the first step of {@link InboundCall#open}. Building it has no side
 * effect beyond counting dropped key values, so nothing needs cleaning up when a step throws.
 *
 * @param method the method name, for spans and lookups
 * @param declaration what the server declares for the method (its budget, whether it is long-lived), or null
 * @param inboundRemaining the time the caller gave, or null when it sent none
 * @param requestId the valid inbound request id, or a fresh one
 * @param hops the caller's hop count (trusted callers only; 0 otherwise)
 * @param attempt the attempt number (trusted callers only; 1 otherwise)
 * @param callerTier the caller's known tier (trusted callers only), or null
 * @param values the accepted propagated keys' decoded values, as key, value pairs
 * @param trace the caller's W3C trace when this server continues it, or null (none, invalid, not
 *     continued, or left to another instrumentation)
 * @param parent the context to start the SERVER span in: the current one with the caller's trace as
 *     the remote parent and the accepted baggage
 */
record InboundRequest(
    String method,
    @Nullable Callee declaration,
    @Nullable Duration inboundRemaining,
    String requestId,
    int hops,
    int attempt,
    @Nullable Tier callerTier,
    List<Object> values,
    @Nullable TraceContext trace,
    Context parent) {

  static InboundRequest parse(
      ServerConfig config, HeaderReader headers, String method, @Nullable Duration inboundRemaining, Metrics metrics) {
    boolean trusted = config.trust() == Trust.TRUSTED;
    String requestId = headers.single(WireHeaders.REQUEST_ID);
    TraceContext trace = trace(config, headers);
    return new InboundRequest(
        method,
        config.methodBudget(method),
        inboundRemaining,
        RequestId.isValid(requestId) ? requestId : RequestId.generate(),
        trusted ? HopCount.parse(headers.single(WireHeaders.HOP)).orElse(0) : 0,
        trusted ? AttemptNumber.parse(headers.single(WireHeaders.ATTEMPT)).orElse(AttemptNumber.FIRST) : AttemptNumber.FIRST,
        trusted ? tierOf(headers.single(WireHeaders.TIER)) : null,
        values(config, headers, trusted, metrics),
        trace,
        parent(config, headers, trace));
  }

  /**
   * The caller's W3C trace, read through the codecs, when this server continues it: not with {@link
   * SpanMode#ENRICH} (the owning instrumentation reads it) nor with {@code continueInboundTrace(false)}.
   */
  private static @Nullable TraceContext trace(ServerConfig config, HeaderReader headers) {
    if (config.spans() == SpanMode.ENRICH || !config.continueInboundTrace()) {
      return null;
    }
    return TraceContext.parse(headers.all(WireHeaders.TRACEPARENT), headers.all(WireHeaders.TRACESTATE));
  }

  /** The current context with the caller's trace as remote parent and its baggage, when accepted. */
  private static Context parent(ServerConfig config, HeaderReader headers, @Nullable TraceContext trace) {
    Context current = Context.current();
    if (config.spans() == SpanMode.ENRICH) {
      return current;
    }
    Baggage baggage = config.acceptBaggage() ? Baggage.parse(headers.all(WireHeaders.BAGGAGE)) : Baggage.EMPTY;
    return HopBaggage.withReceived(HopTrace.withRemoteParent(current, trace), baggage);
  }

  /** The accepted keys' values; a value that does not decode is dropped and counted. */
  private static List<Object> values(ServerConfig config, HeaderReader headers, boolean trusted, Metrics metrics) {
    List<Object> values = new ArrayList<>(0);
    for (CtxKey<?> key : config.acceptedKeys()) {
      String wireValue = trusted || !key.isSensitive() ? headers.single(key.headerName()) : null;
      Object value = wireValue == null ? null : key.decodeFromWire(wireValue);
      if (value != null) {
        values.add(key);
        values.add(value);
      } else if (wireValue != null) {
        metrics.onDroppedValue(key, "undecodable or oversized");
      }
    }
    return values;
  }

  private static @Nullable Tier tierOf(@Nullable String header) {
    String name = TierName.parse(header);
    return name == null ? null : Tier.forName(name).orElse(null);
  }
}
