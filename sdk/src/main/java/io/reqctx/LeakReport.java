package io.reqctx;

import org.jspecify.annotations.Nullable;

/**
 * Something that should have ended with its request and did not.
 *
 * <pre>{@code
 * CtxObserver.register(new CtxObserver() {
 *   public void onLeak(LeakReport leak) { leakCounter.add(1); }
 * });
 * }</pre>
 *
 * @param kind what leaked
 * @param description what leaked, for logs (request id, tier; never a sensitive value)
 * @param creationSite where it was created, when the leak detection mode captured it (system property
 *     {@code reqctx.leaks}: {@code off}, {@code sampled}, {@code always}), else null
 */
public record LeakReport(Kind kind, String description, @Nullable Throwable creationSite) {

  /** The kinds of leak reqctx detects. */
  public enum Kind {
    /** A scope was garbage-collected while still open (tracked in {@code sampled} and {@code always} modes). */
    CTX_NEVER_CLOSED,
    /** A child scope was still open when its parent closed. */
    CHILD_OPEN_AT_PARENT_CLOSE,
    /** A scope returned by {@code makeCurrent()} was garbage-collected without being closed. */
    ATTACH_NEVER_CLOSED,
    /** A scope returned by {@code makeCurrent()} was closed while a later one was still attached. */
    ATTACH_CLOSED_OUT_OF_ORDER,
    /** A scope returned by {@code makeCurrent()} was closed on another thread than the one it attached on. */
    ATTACH_CLOSED_ON_OTHER_THREAD,
    /** A propagated task was still running when its request scope closed. */
    TASK_RUNNING_AFTER_CTX_END,
    /**
     * A request's ctx, or one of its typed values, was still reachable after the request ended (found
     * by a weak reference checked after a garbage collection; reqctx-chaos's {@code ValueLeak}).
     */
    VALUE_RETAINED_AFTER_CTX_END
  }

  /** A one-line description for logs. */
  public String message() {
    String what =
        switch (kind) {
          case CTX_NEVER_CLOSED -> "a request scope was garbage-collected without being closed";
          case CHILD_OPEN_AT_PARENT_CLOSE -> "a child scope was still open when its parent closed";
          case ATTACH_NEVER_CLOSED -> "a makeCurrent() scope was garbage-collected without being closed";
          case ATTACH_CLOSED_OUT_OF_ORDER -> "a makeCurrent() scope was closed out of order";
          case ATTACH_CLOSED_ON_OTHER_THREAD -> "a makeCurrent() scope was closed on another thread";
          case TASK_RUNNING_AFTER_CTX_END -> "a task was still running when its request scope closed";
          case VALUE_RETAINED_AFTER_CTX_END -> "a ctx or typed value was still reachable after its request ended";
        };
    boolean siteCapturable = kind != Kind.VALUE_RETAINED_AFTER_CTX_END; // a heap dump shows who holds it
    return "reqctx leak: " + what + " (" + description + ")"
        + (creationSite == null && siteCapturable ? "; run with -Dreqctx.leaks=always to see where it was created" : "");
  }
}
