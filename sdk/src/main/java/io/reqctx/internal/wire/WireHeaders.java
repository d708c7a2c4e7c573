package io.reqctx.internal.wire;

import static java.util.Objects.requireNonNull;

/**
 * Every header name reqctx reads or writes, in one place. The per-header codecs take their names
 * from here; transports use {@link #isReqctxHeader} to strip internal headers at an edge and never
 * echo them.
 *
 * <p>All names are lower case, as HTTP/2 and gRPC metadata require.
 *
 * <pre>{@code
 * for (String name : requestHeaderNames) {
 *   if (WireHeaders.isReqctxHeader(name)) {
 *     continue; // never copy reqctx-* headers from a request into a response
 *   }
 *   ...
 * }
 * }</pre>
 */
public final class WireHeaders {

  /** Prefix shared by every reqctx-owned header. */
  public static final String REQCTX_PREFIX = "reqctx-";

  /** gRPC deadline, see {@link GrpcTimeout}. */
  public static final String GRPC_TIMEOUT = "grpc-timeout";

  /** reqctx HTTP deadline in remaining milliseconds, see {@link BudgetMillis}. */
  public static final String BUDGET_MS = "reqctx-budget-ms";

  /** Envoy's expected request timeout, inbound only, see {@link EnvoyExpectedTimeout}. */
  public static final String ENVOY_EXPECTED_RQ_TIMEOUT_MS = "x-envoy-expected-rq-timeout-ms";

  /** Request id, see {@link RequestId}. */
  public static final String REQUEST_ID = "x-request-id";

  /** Caller's tier, see {@link TierName}. */
  public static final String TIER = "reqctx-tier";

  /** Hop count, see {@link HopCount}. */
  public static final String HOP = "reqctx-hop";

  /** Attempt number, see {@link AttemptNumber}. */
  public static final String ATTEMPT = "reqctx-attempt";

  /** Response header (gRPC: trailer): the callee's own elapsed time, see {@link ElapsedMicros}. */
  public static final String ELAPSED_US = "reqctx-elapsed-us";

  /** Prefix of the one-header-per-key typed values, see {@link KeyHeader}. */
  public static final String KEY_PREFIX = "reqctx-key-";

  /** W3C Trace Context trace id, parent id and flags, see {@link TraceParent}. */
  public static final String TRACEPARENT = "traceparent";

  /** W3C Trace Context vendor entries, see {@link TraceState}. */
  public static final String TRACESTATE = "tracestate";

  /** W3C Baggage application entries, see {@link Baggage}. */
  public static final String BAGGAGE = "baggage";

  private WireHeaders() {}

  /**
   * True when {@code name} starts with {@code reqctx-} (compared ignoring ASCII case, so an HTTP/1
   * header that was not lower-cased by the transport cannot slip past an edge filter).
   */
  public static boolean isReqctxHeader(String name) {
    return requireNonNull(name, "name")
        .regionMatches(true, 0, REQCTX_PREFIX, 0, REQCTX_PREFIX.length());
  }
}
