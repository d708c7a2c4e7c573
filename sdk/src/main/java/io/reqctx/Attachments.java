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
  /**
   * Whether {@link Context#current()} returns the very context that was made current. OpenTelemetry's
   * Java agent bridges the application's contexts to its own and hands out a new wrapper on every
   * call; there the order of closes is judged by the ctx and span the current context holds.
   */
  private static final boolean CURRENT_IS_IDENTICAL = currentIsIdentical();

  private Attachments() {}

  @MustBeClosed
  @SuppressWarnings("MustBeClosedChecker") // the OpenTelemetry scope is owned, and closed, by the returned one
  static Scope attach(Context context) {
    Scope otel = context.makeCurrent();
    Throwable site = LeakDetection.captureAttachSite();
    return new CheckedScope(otel, context, site);
  }

  /**
   * The attach: closes the OpenTelemetry scope after checking thread and order, and puts back the MDC
   * values it replaced (held here rather than in a second object: this is on every callback's path).
   */
  private static final class CheckedScope implements Scope {
    private final Scope otel;
    private final Context attached;
    private final Thread thread = Thread.currentThread();
    private final LeakDetection.@Nullable Watch watch;
    private final @Nullable Throwable site;
    private final boolean mdcApplied;
    private final @Nullable String previousTraceId;
    private final @Nullable String previousSpanId;
    private final @Nullable String previousRequestId;
    private boolean closed;

    CheckedScope(Scope otel, Context attached, @Nullable Throwable site) {
      this.otel = otel;
      this.attached = attached;
      this.site = site;
      RequestCtx ctx = RequestCtx.fromContext(attached);
      this.watch = site == null
          ? null
          : LeakDetection.watch(
              this, LeakReport.Kind.ATTACH_NEVER_CLOSED, describe(ctx), site, CtxObservers.scopeObserverOf(ctx));
      this.mdcApplied = MDC_ENABLED;
      if (MDC_ENABLED) {
        previousTraceId = MDC.get(TRACE_ID);
        previousSpanId = MDC.get(SPAN_ID);
        previousRequestId = MDC.get(REQUEST_ID);
        SpanContext span = Span.fromContext(attached).getSpanContext();
        if (!span.isValid()) {
          span = ctx.spanContext();
        }
        set(TRACE_ID, previousTraceId, span.isValid() ? span.getTraceId() : null);
        set(SPAN_ID, previousSpanId, span.isValid() ? span.getSpanId() : null);
        set(REQUEST_ID, previousRequestId, ctx.requestId().isEmpty() ? null : ctx.requestId());
      } else {
        previousTraceId = null;
        previousSpanId = null;
        previousRequestId = null;
      }
    }

    @Override
    public void close() {
      if (Thread.currentThread() != thread) {
        // Closing here would corrupt this thread's context. Like OpenTelemetry's strict storage, the
        // misuse fails loudly and changes nothing: the scope stays open, so the close on the attaching
        // thread still detaches it (and a scope never closed there is still reported when collected).
        String message = describe(RequestCtx.fromContext(attached)) + ", attached on " + thread.getName()
            + ", closed on " + Thread.currentThread().getName();
        LeakDetection.report(new LeakReport(LeakReport.Kind.ATTACH_CLOSED_ON_OTHER_THREAD, message, site),
            CtxObservers.scopeObserverOf(RequestCtx.fromContext(attached)));
        throw new IllegalStateException("reqctx: a makeCurrent() scope must be closed on the thread that attached it ("
            + message + "); it is still attached on " + thread.getName(), site);
      }
      if (closed) {
        return;
      }
      closed = true;
      if (watch != null) {
        watch.done();
      }
      if (!isCurrent(attached)) {
        RequestCtx ctx = RequestCtx.fromContext(attached);
        LeakDetection.report(new LeakReport(LeakReport.Kind.ATTACH_CLOSED_OUT_OF_ORDER, describe(ctx), site),
            CtxObservers.scopeObserverOf(ctx));
      }
      otel.close();
      if (mdcApplied) {
        restore(TRACE_ID, previousTraceId);
        restore(SPAN_ID, previousSpanId);
        restore(REQUEST_ID, previousRequestId);
      }
    }
  }

  private static boolean isCurrent(Context attached) {
    Context current = Context.current();
    if (current == attached) {
      return true;
    }
    return !CURRENT_IS_IDENTICAL
        && RequestCtx.fromContext(current) == RequestCtx.fromContext(attached)
        && Span.fromContext(current).getSpanContext().equals(Span.fromContext(attached).getSpanContext());
  }

  @SuppressWarnings("MustBeClosedChecker") // closed by the try
  private static boolean currentIsIdentical() {
    Context probe = Context.current().with(RequestCtx.root());
    try (Scope ignored = probe.makeCurrent()) {
      return Context.current() == probe;
    }
  }

  private static String describe(RequestCtx ctx) {
    return "request " + ctx.requestId() + ", tier " + ctx.tier().name();
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
