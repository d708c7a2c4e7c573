package io.reqctx;

import java.util.concurrent.CancellationException;

/** The cancellation cause of a scope that closed while still live: its request is over. */
final class ScopeClosedException extends CancellationException {
  private static final long serialVersionUID = 1L;

  ScopeClosedException() {
    super("reqctx: request scope closed");
  }
}
