package io.reqctx.transport;

/**
 * What a client tells its callee: everything reqctx carries, to a service of the fleet, or only the
 * W3C trace headers (or nothing) to a callee outside it — a payment provider, a partner's API, a
 * managed service. The egress half of what {@link Trust#EDGE} is on the way in.
 *
 * <p>Whatever the egress, the budget still bounds the call locally: the gRPC call's deadline (which
 * grpc-java sends as its own {@code grpc-timeout}), the {@code WebClient}'s response timeout, the
 * refusal of a call below the minimum viable budget, and cancellation with the caller's request.
 *
 * <pre>{@code
 * ClientConfig payments = ClientConfig.builder(Tier.SERVICE)
 *     .egress(Egress.EXTERNAL_W3C)          // only traceparent, tracestate, baggage
 *     .build();
 * }</pre>
 */
public enum Egress {
  /**
   * A reqctx service of the fleet (the default): {@code x-request-id}, {@code reqctx-tier}, {@code
   * reqctx-hop}, {@code reqctx-attempt}, the HTTP budget header {@code reqctx-budget-ms}, the
   * propagated keys (sensitive ones only with {@link ClientConfig.Builder#trusted}) and the W3C
   * {@code traceparent}, {@code tracestate} and {@code baggage}.
   */
  FLEET,
  /**
   * A callee outside the fleet that takes part in the trace: only {@code traceparent}, {@code
   * tracestate} and {@code baggage}. No {@code reqctx-*} header, no {@code x-request-id}, no
   * propagated key, sensitive or not; such headers already on the request are removed.
   */
  EXTERNAL_W3C,
  /**
   * A callee outside the fleet told nothing: none of the headers above, and those already on the
   * request are removed. With {@link SpanMode#ENRICH}, OpenTelemetry's own instrumentation, which owns
   * the trace headers then, still writes its own.
   */
  EXTERNAL_NONE
}
