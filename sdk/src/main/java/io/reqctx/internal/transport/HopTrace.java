package io.reqctx.internal.transport;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.ImplicitContextKeyed;
import io.reqctx.RequestCtx;
import io.reqctx.internal.wire.TraceContext;
import io.reqctx.internal.wire.TraceParent;
import io.reqctx.internal.wire.TraceState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The W3C trace of one hop as reqctx keeps it, in the hop's {@link Context} beside OpenTelemetry's
 * span: the trace id, the hop's own span id (its logs' {@code span_id}), the trace flags with the
 * random flag OpenTelemetry's spans do not carry, and reqctx's {@code tracestate}, which keeps the
 * Level 2 keys OpenTelemetry's {@code TraceState} drops. One rule for where the ids come from:
 *
 * <ul>
 *   <li><b>An OpenTelemetry SDK</b> made the span: its ids are the hop's (and a CLIENT span's are
 *       the parent-id its call sends). The flags are the span's, plus the inbound random flag while
 *       the trace id is the inbound one; the list is reqctx's, with what the SDK's sampler changed
 *       in OpenTelemetry's view of it applied on top.
 *   <li><b>No SDK</b> (no OpenTelemetry, a propagation-only one, or {@link
 *       io.reqctx.transport.SpanMode#OFF}): reqctx stands in. The hop's id is the parent-id its caller
 *       sent (the id of that call), or, without an inbound trace, that of a trace reqctx starts
 *       (random trace id, random flag, not sampled); every outbound call sends the same trace with a
 *       fresh parent-id, so each callee can tell its callers apart. A tracer that hands back its
 *       parent's span, or no span at all, is taken for "no SDK".
 * </ul>
 *
 * @param w3c the hop's trace: trace id, the hop's span id as parent-id, flags, list
 * @param span the span context the hop's span carries (OpenTelemetry's view of the same trace)
 * @param standIn whether reqctx stands in for a span no SDK made
 */
record HopTrace(TraceContext w3c, SpanContext span, boolean standIn) implements ImplicitContextKeyed {
  private static final ContextKey<HopTrace> KEY = ContextKey.named("io.reqctx.hop-trace");

  static @Nullable HopTrace fromContext(Context context) {
    return context.get(KEY);
  }

  @Override
  public Context storeInContext(Context context) {
    return context.with(KEY, this);
  }

  /** {@code base} with the caller's trace as the remote parent: the context a SERVER span starts in. */
  static Context withRemoteParent(Context base, @Nullable TraceContext inbound) {
    return inbound == null ? base : base.with(Span.wrap(remoteParent(inbound)));
  }

  /**
   * The hop's trace once its SERVER span started: the span's when a tracer made a new one ({@link
   * #isNewSpan}), else reqctx's stand-in for the inbound trace or a new one.
   */
  static HopTrace ofServerSpan(SpanContext created, Context parent, @Nullable TraceContext inbound) {
    if (isNewSpan(created, parent)) {
      SpanContext remote = Span.fromContext(parent).getSpanContext();
      return new HopTrace(continued(created, inbound, remote.getTraceState()), created, false);
    }
    return standIn(inbound);
  }

  /** reqctx's stand-in for a hop no SDK traces: the caller's trace, or a new one. */
  static HopTrace standIn(@Nullable TraceContext inbound) {
    if (inbound != null) {
      return new HopTrace(inbound, remoteParent(inbound), true);
    }
    TraceParent root = TraceContext.newRoot(false).traceParent();
    SpanContext span = SpanContext.create(
        root.traceId(), root.parentId(), TraceFlags.fromByte((byte) root.flags()),
        io.opentelemetry.api.trace.TraceState.getDefault());
    return new HopTrace(new TraceContext(root, TraceState.EMPTY), span, true);
  }

  /**
   * Whether a tracer made {@code span} as a new span in {@code parent}: valid, local, and not the
   * parent's own span handed back (what a no-op tracer does).
   */
  static boolean isNewSpan(SpanContext span, Context parent) {
    SpanContext parentSpan = Span.fromContext(parent).getSpanContext();
    return span.isValid() && !span.isRemote() && !sameIds(span, parentSpan);
  }

  /**
   * Whether {@code span}, current in {@code parent}, is one an SDK made (the application's own, or
   * the hop's SERVER span), not the caller's remote parent nor reqctx's stand-in.
   */
  static boolean isSdkSpan(SpanContext span, Context parent) {
    HopTrace hop = fromContext(parent);
    return span.isValid() && !span.isRemote() && !(hop != null && hop.standIn && sameIds(span, hop.span));
  }

  /**
   * The trace one outbound call sends: with {@code sdkSpan} (the span an SDK made for the call, or
   * the application's current span) its ids; otherwise the hop's trace with a fresh parent-id —
   * taken from the context, else from the current span or the ctx, else a new trace.
   */
  static TraceContext forCall(Context parent, RequestCtx ctx, @Nullable SpanContext sdkSpan) {
    HopTrace hop = fromContext(parent);
    if (sdkSpan != null) {
      return hop != null
          ? continued(sdkSpan, hop.w3c, hop.span.getTraceState())
          : continued(sdkSpan, null, io.opentelemetry.api.trace.TraceState.getDefault());
    }
    TraceContext base = hop != null ? hop.w3c : fromSpan(Span.fromContext(parent).getSpanContext());
    if (base == null) {
      base = fromSpan(ctx.spanContext());
    }
    return base != null ? base.forOutboundCall() : TraceContext.newRoot(false);
  }

  /**
   * {@code span}'s ids, continuing {@code previous} (the inbound trace, or the hop's): while the
   * trace id is the same, its random flag and its list (with what the SDK changed in {@code before},
   * OpenTelemetry's view of that list, applied); otherwise the span's flags and list.
   */
  private static TraceContext continued(
      SpanContext span, @Nullable TraceContext previous, io.opentelemetry.api.trace.TraceState before) {
    int flags = span.getTraceFlags().asByte() & 0xFF;
    TraceState state;
    if (previous != null && previous.traceParent().traceId().equals(span.getTraceId())) {
      flags |= previous.traceParent().flags() & TraceParent.FLAG_RANDOM;
      state = merged(previous.traceState(), before, span.getTraceState());
    } else {
      state = fromOtel(span.getTraceState());
    }
    return new TraceContext(new TraceParent(span.getTraceId(), span.getSpanId(), flags), state);
  }

  private static SpanContext remoteParent(TraceContext inbound) {
    TraceParent parent = inbound.traceParent();
    return SpanContext.createFromRemoteParent(
        parent.traceId(), parent.parentId(), TraceFlags.fromByte((byte) parent.flags()), toOtel(inbound.traceState()));
  }

  private static @Nullable TraceContext fromSpan(SpanContext span) {
    if (!span.isValid()) {
      return null;
    }
    TraceParent parent = new TraceParent(span.getTraceId(), span.getSpanId(), span.getTraceFlags().asByte() & 0xFF);
    return new TraceContext(parent, fromOtel(span.getTraceState()));
  }

  private static boolean sameIds(SpanContext a, SpanContext b) {
    return a.getSpanId().equals(b.getSpanId()) && a.getTraceId().equals(b.getTraceId());
  }

  /**
   * OpenTelemetry's view of {@code state}, in the same order: the entries its {@code TraceState}
   * accepts (it still applies the Level 1 key grammar and drops the rest).
   */
  static io.opentelemetry.api.trace.TraceState toOtel(TraceState state) {
    if (state.isEmpty()) {
      return io.opentelemetry.api.trace.TraceState.getDefault();
    }
    io.opentelemetry.api.trace.TraceStateBuilder builder = io.opentelemetry.api.trace.TraceState.builder();
    List<TraceState.Member> members = state.members();
    for (int i = members.size() - 1; i >= 0; i--) { // the builder puts each entry in front
      builder.put(members.get(i).key(), members.get(i).value());
    }
    return builder.build();
  }

  /** {@code state} as a reqctx list, in the same order; entries outside the grammar are left out. */
  static TraceState fromOtel(io.opentelemetry.api.trace.TraceState state) {
    if (state.isEmpty()) {
      return TraceState.EMPTY;
    }
    List<TraceState.Member> members = new ArrayList<>(state.size());
    state.forEach((key, value) -> {
      if (TraceState.isValidKey(key) && TraceState.isValidValue(value) && members.size() < TraceState.MAX_MEMBERS) {
        members.add(new TraceState.Member(key, value));
      }
    });
    return members.isEmpty() ? TraceState.EMPTY : new TraceState(members);
  }

  /**
   * {@code ours} with what changed from {@code before} to {@code after} (OpenTelemetry's view of the
   * list, as a sampler may update it) applied: removed keys removed, added or changed entries moved to
   * the front in {@code after}'s order. Unchanged, {@code ours} is returned as is.
   */
  static TraceState merged(
      TraceState ours, io.opentelemetry.api.trace.TraceState before, io.opentelemetry.api.trace.TraceState after) {
    if (after.equals(before)) {
      return ours;
    }
    TraceState result = ours;
    Map<String, String> kept = after.asMap();
    for (String key : before.asMap().keySet()) {
      if (!kept.containsKey(key)) {
        result = result.without(key);
      }
    }
    List<TraceState.Member> changed = new ArrayList<>();
    after.forEach((key, value) -> {
      if (!value.equals(before.get(key)) && TraceState.isValidKey(key) && TraceState.isValidValue(value)) {
        changed.add(new TraceState.Member(key, value));
      }
    });
    for (int i = changed.size() - 1; i >= 0; i--) {
      result = result.with(changed.get(i).key(), changed.get(i).value());
    }
    return result;
  }
}
