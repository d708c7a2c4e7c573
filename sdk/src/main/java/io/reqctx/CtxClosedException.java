package io.reqctx;

import java.util.concurrent.CancellationException;

/**
 * The cancellation cause of a scope that closed while still live: its request is over. One shared
 * instance without a stack trace, like Go's {@code context.Canceled}: closing is the normal end of
 * every scope and must not cost a stack walk.
 */
final class CtxClosedException extends CancellationException {
  private static final long serialVersionUID = 1L;

  static final CtxClosedException INSTANCE = new CtxClosedException();

  private CtxClosedException() {
    super("reqctx: request scope closed");
    setStackTrace(new StackTraceElement[0]);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
