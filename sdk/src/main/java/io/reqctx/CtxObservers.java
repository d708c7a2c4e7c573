package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The registered observers. With none registered an event costs one volatile read. */
final class CtxObservers {
  private static final Logger log = LoggerFactory.getLogger(CtxObserver.class);
  private static final CopyOnWriteArrayList<CtxObserver> OBSERVERS = new CopyOnWriteArrayList<>();

  private CtxObservers() {}

  static CtxObserver.Registration add(CtxObserver observer) {
    requireNonNull(observer, "observer");
    OBSERVERS.add(observer);
    return () -> OBSERVERS.remove(observer);
  }

  static void opened(RequestCtx ctx) {
    for (CtxObserver o : OBSERVERS) {
      try {
        o.onOpen(ctx);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  static void cancelled(RequestCtx ctx, Throwable cause) {
    for (CtxObserver o : OBSERVERS) {
      try {
        o.onCancel(ctx, cause);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  static void closed(CtxObserver.CtxEnd end) {
    for (CtxObserver o : OBSERVERS) {
      try {
        o.onClose(end);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  static void leaked(LeakReport leak) {
    for (CtxObserver o : OBSERVERS) {
      try {
        o.onLeak(leak);
      } catch (RuntimeException e) {
        failed(o, e);
      }
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
