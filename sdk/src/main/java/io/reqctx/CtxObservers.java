package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where scope events go: the observers registered for the whole JVM ({@link CtxObserver#register}),
 * then the observer of the scope's tree ({@link CancellableCtx.Builder#observer}), if any. With none
 * an event costs one volatile read.
 *
 * <p>The JVM-wide list is global mutable state: a registration lasts until it is closed, so tests
 * close theirs (try-with-resources or an {@code @AfterEach}).
 */
final class CtxObservers {
  private static final Logger log = LoggerFactory.getLogger(CtxObserver.class);
  private static final CopyOnWriteArrayList<CtxObserver> OBSERVERS = new CopyOnWriteArrayList<>();

  private CtxObservers() {}

  static CtxObserver.Registration add(CtxObserver observer) {
    requireNonNull(observer, "observer");
    OBSERVERS.add(observer);
    return () -> OBSERVERS.remove(observer);
  }

  /** The observer of the scope tree {@code ctx} belongs to, or null (no scope, or none set). */
  static @Nullable CtxObserver scopeObserverOf(RequestCtx ctx) {
    return ctx instanceof CtxImpl c && c.cancellation() instanceof CancellableCtxImpl scope ? scope.observer() : null;
  }

  static void opened(RequestCtx ctx, @Nullable CtxObserver scopeObserver) {
    for (CtxObserver o : OBSERVERS) {
      opened(o, ctx);
    }
    if (scopeObserver != null) {
      opened(scopeObserver, ctx);
    }
  }

  private static void opened(CtxObserver o, RequestCtx ctx) {
    try {
      o.onOpen(ctx);
    } catch (RuntimeException e) {
      failed(o, e);
    }
  }

  static void cancelled(RequestCtx ctx, Throwable cause, @Nullable CtxObserver scopeObserver) {
    for (CtxObserver o : OBSERVERS) {
      cancelled(o, ctx, cause);
    }
    if (scopeObserver != null) {
      cancelled(scopeObserver, ctx, cause);
    }
  }

  private static void cancelled(CtxObserver o, RequestCtx ctx, Throwable cause) {
    try {
      o.onCancel(ctx, cause);
    } catch (RuntimeException e) {
      failed(o, e);
    }
  }

  static void closed(CtxObserver.CtxEnd end, @Nullable CtxObserver scopeObserver) {
    for (CtxObserver o : OBSERVERS) {
      closed(o, end);
    }
    if (scopeObserver != null) {
      closed(scopeObserver, end);
    }
  }

  private static void closed(CtxObserver o, CtxObserver.CtxEnd end) {
    try {
      o.onClose(end);
    } catch (RuntimeException e) {
      failed(o, e);
    }
  }

  static void leaked(LeakReport leak, @Nullable CtxObserver scopeObserver) {
    for (CtxObserver o : OBSERVERS) {
      leaked(o, leak);
    }
    if (scopeObserver != null) {
      leaked(scopeObserver, leak);
    }
  }

  private static void leaked(CtxObserver o, LeakReport leak) {
    try {
      o.onLeak(leak);
    } catch (RuntimeException e) {
      failed(o, e);
    }
  }

  static void droppedValue(CtxKey<?> key, String reason) {
    for (CtxObserver o : OBSERVERS) {
      try {
        o.onDroppedValue(key, reason);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  private static void failed(CtxObserver o, RuntimeException e) {
    log.warn("reqctx: scope observer {} threw; the event is not delivered to it", o, e);
  }
}
