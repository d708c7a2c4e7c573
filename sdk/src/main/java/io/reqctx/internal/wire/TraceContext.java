package io.reqctx.internal.wire;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The W3C trace context of one call: {@code traceparent} and {@code tracestate} together, with the
 * rules that tie them.
 *
 * <ul>
 *   <li>An absent, repeated or invalid {@code traceparent} means no inbound trace: the hop starts a
 *       new one, and {@code tracestate} is not even parsed (spec: a vendor that failed to parse
 *       {@code traceparent} must not attempt to parse {@code tracestate}).
 *   <li>A malformed {@code tracestate} never costs the trace: the context keeps the {@code
 *       traceparent} with an empty list.
 *   <li>Each outbound call keeps the trace id, the flags and the list, and carries its own parent
 *       id ({@link #forOutboundCall()}, or {@link #withParentId} with a span's id).
 * </ul>
 *
 * <pre>{@code
 * TraceContext inbound = TraceContext.parse(headers.all("traceparent"), headers.all("tracestate"));
 * TraceContext current = inbound != null ? inbound : TraceContext.newRoot(false);
 * TraceContext call = current.forOutboundCall();
 * writer.put("traceparent", call.traceParent().encode());
 * String state = call.tracestateHeader(TraceState.DEFAULT_PROPAGATION_LIMIT);
 * if (state != null) {
 *   writer.put("tracestate", state);
 * }
 * }</pre>
 *
 * @param traceParent the trace id, the parent id and the flags
 * @param traceState the vendor entries, possibly empty
 */
public record TraceContext(TraceParent traceParent, TraceState traceState) {

  /** Checks that both parts are present. */
  public TraceContext {
    requireNonNull(traceParent, "traceParent");
    requireNonNull(traceState, "traceState");
  }

  /**
   * Reads the inbound trace from all values of both headers, in arrival order.
   *
   * @return the trace, or null when {@code traceparent} is absent, repeated or invalid (then the
   *     hop starts a new trace and {@code tracestate} is dropped unread)
   */
  public static @Nullable TraceContext parse(
      List<String> traceparentValues, List<String> tracestateValues) {
    requireNonNull(tracestateValues, "tracestateValues");
    TraceParent parent = TraceParent.parse(traceparentValues);
    if (parent == null) {
      return null;
    }
    TraceState state = TraceState.parse(tracestateValues);
    return new TraceContext(parent, state == null ? TraceState.EMPTY : state);
  }

  /** A new trace, as {@link TraceParent#newRoot} starts it, with an empty list. */
  public static TraceContext newRoot(boolean sampled) {
    return new TraceContext(TraceParent.newRoot(sampled), TraceState.EMPTY);
  }

  /** This trace with a fresh random parent id: the context one outbound call sends. */
  public TraceContext forOutboundCall() {
    return new TraceContext(traceParent.withFreshParentId(), traceState);
  }

  /** This trace with {@code parentId}, for example the id of the client span of the call. */
  public TraceContext withParentId(String parentId) {
    return new TraceContext(traceParent.withParentId(parentId), traceState);
  }

  /**
   * The {@code tracestate} value to send, truncated to {@code maxLength} characters as the spec
   * asks ({@link TraceState#truncatedTo}), or null when the list is (or becomes) empty: an empty
   * {@code tracestate} header is not sent.
   */
  public @Nullable String tracestateHeader(int maxLength) {
    TraceState sent = traceState.truncatedTo(maxLength);
    return sent.isEmpty() ? null : sent.encode();
  }
}
