package io.reqctx;

import java.util.concurrent.CancellationException;

/**
 * The cancellation cause of a scope that closed while still live: its request is over. Without a stack
 * trace (closing is the normal end of every scope and must not cost a stack walk), but one instance per
 * scope, not a shared one like Go's {@code context.Canceled}: a Java exception is mutable (code that
 * rethrows it gets suppressed exceptions added to it), so a shared instance would collect them from
 * every request for the life of the JVM.
 */
final class CtxClosedException extends CancellationException {
  private static final long serialVersionUID = 1L;

  CtxClosedException() {
    super("reqctx: request scope closed");
    setStackTrace(new StackTraceElement[0]);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
