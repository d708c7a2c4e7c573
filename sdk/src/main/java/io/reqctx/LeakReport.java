package io.reqctx;

import org.jspecify.annotations.Nullable;

/**
 * Something that should have ended with its request and did not.
 *
 * <pre>{@code
 * ScopeObserver.register(new ScopeObserver() {
 *   public void onLeak(LeakReport leak) { log.warn(leak.describe(), leak.creationSite()); }
 * });
 * }</pre>
 *
 * @param kind what leaked
 * @param ctx the ctx of what leaked
 * @param creationSite where it was created, when creation sites are captured (system property
 *     {@code reqctx.leaks.sites=always}), else null
 */
public record LeakReport(Kind kind, RequestCtx ctx, @Nullable Throwable creationSite) {

  /** The kinds of leak reqctx detects. */
  public enum Kind {
    /** A child scope still open when its parent closed. */
    CHILD_SCOPE_OPEN_AT_PARENT_CLOSE,
    /** A propagated task still running when its scope ended. */
    TASK_RUNNING_AFTER_SCOPE_END
  }

  /** A one-line description for logs. */
  public String describe() {
    String what =
        switch (kind) {
          case CHILD_SCOPE_OPEN_AT_PARENT_CLOSE -> "a child scope was still open when its parent closed";
          case TASK_RUNNING_AFTER_SCOPE_END -> "a task was still running when its scope ended";
        };
    return "reqctx leak: " + what + " (" + ctx + ")"
        + (creationSite == null ? "; set -Dreqctx.leaks.sites=always to see where it was created" : "");
  }
}
