package io.reqctx;

import java.time.Duration;

/**
 * Receives scope lifecycle events: the hook for metrics, tracing and diagnostics. Callbacks run on the
 * thread that caused the event, must be quick, and must not throw (exceptions are caught and logged).
 *
 * <pre>{@code
 * try (CtxObserver.Registration r = CtxObserver.register(new CtxObserver() {
 *   public void onClose(CtxEnd end) {
 *     if (end.outcome() != CtxEnd.Outcome.OK) workAfterCancel.record(end.workAfterCancel().toMillis());
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
   * @param outcome whether it was cancelled before it closed, and why
   * @param lifetime from open to close
   * @param workAfterCancel from the cancel (or deadline) to close: how long work went on for a caller
   *     that had already left; zero when the scope was not cancelled before it closed
   */
  record CtxEnd(RequestCtx ctx, Outcome outcome, Duration lifetime, Duration workAfterCancel) {

    /** Whether and why the scope was cancelled before it closed. */
    public enum Outcome {
      /** Closed without being cancelled first. */
      OK,
      /** Cancelled (caller left, owner or parent cancelled) before it closed. */
      CANCELLED,
      /** Its deadline passed before it closed. */
      DEADLINE_EXCEEDED
    }
  }
}
