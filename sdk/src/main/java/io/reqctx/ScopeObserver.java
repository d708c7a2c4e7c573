package io.reqctx;

/**
 * Receives scope lifecycle events: the hook for metrics, tracing, flight recorder events and leak
 * reports. Callbacks run on the thread that caused the event and must be quick and must not throw
 * (exceptions are caught and logged).
 *
 * <pre>{@code
 * try (ScopeObserver.Registration r = ScopeObserver.register(new ScopeObserver() {
 *   public void onCancel(RequestCtx ctx, Throwable cause) { cancellations.add(1); }
 * })) {
 *   ...
 * }
 * }</pre>
 */
public interface ScopeObserver {

  /** A scope opened. */
  default void onOpen(RequestCtx ctx) {}

  /** A live scope was cancelled (by its owner, its parent, or its deadline); not called for close. */
  default void onCancel(RequestCtx ctx, Throwable cause) {}

  /** A scope closed. */
  default void onClose(RequestCtx ctx) {}

  /** Something leaked. */
  default void onLeak(LeakReport leak) {}

  /** An inbound value of a propagated key was dropped. */
  default void onDroppedValue(CtxKey<?> key, String reason) {}

  /** Adds {@code observer} for every scope in this JVM until the registration is closed. */
  static Registration register(ScopeObserver observer) {
    return ScopeObservers.add(observer);
  }

  /** An observer's registration. */
  interface Registration extends AutoCloseable {
    /** Removes the observer. Idempotent. */
    @Override
    void close();
  }
}
