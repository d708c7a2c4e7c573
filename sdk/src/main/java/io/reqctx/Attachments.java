package io.reqctx;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Every attach reqctx makes goes through here: it makes an OpenTelemetry context current, puts the
 * request's ids into the SLF4J MDC, and returns a scope that checks it is closed on the same thread,
 * in order, and at all (the last one only for sampled attaches, see {@link LeakDetection}).
 *
 * <p>MDC keys: {@value #TRACE_ID}, {@value #SPAN_ID}, {@value #REQUEST_ID}; system property
 * {@code reqctx.mdc=false} turns them off.
 */
final class Attachments {
  static final String TRACE_ID = "trace_id";
  static final String SPAN_ID = "span_id";
  static final String REQUEST_ID = "request_id";
  private static final boolean MDC_ENABLED = !"false".equals(System.getProperty("reqctx.mdc"));

  private Attachments() {}

  @MustBeClosed
  @SuppressWarnings("MustBeClosedChecker") // the OpenTelemetry scope is owned, and closed, by the returned one
  static Scope attach(Context context) {
    Scope otel = context.makeCurrent();
    MdcRestore mdc = MDC_ENABLED ? MdcRestore.apply(context) : null;
    Throwable site = LeakDetection.captureSite("makeCurrent() called here");
    return new CheckedScope(otel, context, mdc, site);
  }

  private static final class CheckedScope implements Scope {
    private final Scope otel;
    private final Context attached;
    private final @Nullable MdcRestore mdc;
    private final Thread thread = Thread.currentThread();
    private final LeakDetection.@Nullable Watch watch;
    private final @Nullable Throwable site;
    private boolean closed;

    CheckedScope(Scope otel, Context attached, @Nullable MdcRestore mdc, @Nullable Throwable site) {
      this.otel = otel;
      this.attached = attached;
      this.mdc = mdc;
      this.site = site;
      this.watch = site == null
          ? null
          : LeakDetection.watch(this, LeakReport.Kind.ATTACH_NEVER_CLOSED, describe(attached), site);
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (watch != null) {
        watch.done();
      }
      if (Thread.currentThread() != thread) {
        // Closing here would corrupt this thread's context; the attaching thread keeps it attached.
        LeakDetection.report(new LeakReport(LeakReport.Kind.ATTACH_CLOSED_ON_OTHER_THREAD,
            describe(attached) + ", attached on " + thread.getName() + ", closed on "
                + Thread.currentThread().getName(), site));
        return;
      }
      if (Context.current() != attached) {
        LeakDetection.report(new LeakReport(LeakReport.Kind.ATTACH_CLOSED_OUT_OF_ORDER, describe(attached), site));
      }
      otel.close();
      if (mdc != null) {
        mdc.restore();
      }
    }
  }

  private static String describe(Context context) {
    RequestCtx ctx = RequestCtx.fromContext(context);
    return "request " + ctx.requestId() + ", tier " + ctx.tier().name();
  }

  /** The MDC values an attach replaced; restoring puts them back. */
  private static final class MdcRestore {
    private final @Nullable String traceId;
    private final @Nullable String spanId;
    private final @Nullable String requestId;

    private MdcRestore(@Nullable String traceId, @Nullable String spanId, @Nullable String requestId) {
      this.traceId = traceId;
      this.spanId = spanId;
      this.requestId = requestId;
    }

    static MdcRestore apply(Context context) {
      MdcRestore previous = new MdcRestore(MDC.get(TRACE_ID), MDC.get(SPAN_ID), MDC.get(REQUEST_ID));
      SpanContext span = Span.fromContext(context).getSpanContext();
      if (!span.isValid()) {
        span = RequestCtx.fromContext(context).spanContext();
      }
      RequestCtx ctx = RequestCtx.fromContext(context);
      set(TRACE_ID, previous.traceId, span.isValid() ? span.getTraceId() : null);
      set(SPAN_ID, previous.spanId, span.isValid() ? span.getSpanId() : null);
      set(REQUEST_ID, previous.requestId, ctx.requestId().isEmpty() ? null : ctx.requestId());
      return previous;
    }

    void restore() {
      restore(TRACE_ID, traceId);
      restore(SPAN_ID, spanId);
      restore(REQUEST_ID, requestId);
    }

    private static void set(String key, @Nullable String previous, @Nullable String value) {
      if (Objects.equals(previous, value)) {
        return;
      }
      if (value == null) {
        MDC.remove(key);
      } else {
        MDC.put(key, value);
      }
    }

    private static void restore(String key, @Nullable String previous) {
      if (previous == null) {
        MDC.remove(key);
      } else {
        MDC.put(key, previous);
      }
    }
  }
}
