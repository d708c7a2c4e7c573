package io.reqctx;

import java.time.Duration;

/**
 * Receives scope lifecycle events: the hook for metrics, tracing and diagnostics. Callbacks run on the
 * thread that caused the event, must be quick, and must not throw (exceptions are caught and logged).
 *
 * <pre>{@code
 * try (CtxObserver.Registration r = CtxObserver.register(new CtxObserver() {
 *   public void onClose(CtxEnd end) {
 *     if (end.outcome() != Outcome.OK) workAfterCancel.record(end.workAfterCancel().toMillis());
 *   }
 * })) {
 *   ...
 * }
 * }</pre>
 */
public interface CtxObserver {

  /** A scope opened. */
  default void onOpen(RequestCtx ctx) {}

  /** A live scope was cancelled (by its owner, its parent, or its deadline); not called for close. */
  default void onCancel(RequestCtx ctx, Throwable cause) {}

  /** A scope closed. */
  default void onClose(CtxEnd end) {}

  /** Something leaked. */
  default void onLeak(LeakReport leak) {}

  /** An inbound value of a propagated key was dropped. */
  default void onDroppedValue(CtxKey<?> key, String reason) {}

  /**
   * Adds {@code observer} for every scope in this JVM until the registration is closed. The list of
   * registered observers is global mutable state: close each registration (tests in an {@code
   * @AfterEach} or try-with-resources) so that it does not outlive its user. To observe only the scopes
   * of one transport or request tree, give the observer to {@link CancellableCtx.Builder#observer}.
   */
  static Registration register(CtxObserver observer) {
    return CtxObservers.add(observer);
  }

  /** An observer's registration. */
  interface Registration extends AutoCloseable {
    /** Removes the observer. Idempotent. */
    @Override
    void close();
  }

  /**
   * How a scope ended.
   *
   * @param ctx the scope's ctx
   * @param outcome {@link Outcome#ofCancellation} of the cause the scope was cancelled with before it
   *     closed: {@link Outcome#OK} when it was not, {@link Outcome#DEADLINE_EXCEEDED}, {@link
   *     Outcome#CANCELLED} (caller left, owner or parent cancelled), or {@link Outcome#ERROR} (the
   *     request failed: transports cancel the scope with the failure, e.g. a handler's exception)
   * @param lifetime from open to close
   * @param workAfterCancel from the cancel (or deadline) to close: how long work went on for a caller
   *     that had already left; zero when the scope was not cancelled before it closed
   */
  record CtxEnd(RequestCtx ctx, Outcome outcome, Duration lifetime, Duration workAfterCancel) {}
}
