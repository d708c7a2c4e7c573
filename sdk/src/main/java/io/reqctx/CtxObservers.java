package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
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
    if (scopeObserver != null || !OBSERVERS.isEmpty()) {
      deliver(scopeObserver, o -> o.onOpen(ctx));
    }
  }

  static void cancelled(RequestCtx ctx, Throwable cause, @Nullable CtxObserver scopeObserver) {
    if (scopeObserver != null || !OBSERVERS.isEmpty()) {
      deliver(scopeObserver, o -> o.onCancel(ctx, cause));
    }
  }

  static void closed(CtxObserver.CtxEnd end, @Nullable CtxObserver scopeObserver) {
    if (scopeObserver != null || !OBSERVERS.isEmpty()) {
      deliver(scopeObserver, o -> o.onClose(end));
    }
  }

  static void leaked(LeakReport leak, @Nullable CtxObserver scopeObserver) {
    deliver(scopeObserver, o -> o.onLeak(leak));
  }

  /** Delivers {@code event} to every JVM-wide observer, then to {@code scopeObserver}; a throwing observer is logged. */
  private static void deliver(@Nullable CtxObserver scopeObserver, Consumer<CtxObserver> event) {
    for (CtxObserver o : OBSERVERS) {
      deliverTo(o, event);
    }
    if (scopeObserver != null) {
      deliverTo(scopeObserver, event);
    }
  }

  private static void deliverTo(CtxObserver o, Consumer<CtxObserver> event) {
    try {
      event.accept(o);
    } catch (RuntimeException e) {
      failed(o, e);
    }
  }

  static void droppedValue(CtxKey<?> key, String reason) {
    deliver(null, o -> o.onDroppedValue(key, reason));
  }

  private static void failed(CtxObserver o, RuntimeException e) {
    log.warn("reqctx: scope observer {} threw; the event is not delivered to it", o, e);
  }
}
