package io.reqctx;

import org.jspecify.annotations.Nullable;

/** The cancellation state a ctx reads: a live scope, or {@link #NEVER} for root and detached ctxs. */
interface Cancellation {
  Cancellation NEVER =
      new Cancellation() {
        @Override
        public @Nullable Throwable cause() {
          return null;
        }

        @Override
        public RequestCtx.CancelRegistration onCancel(RequestCtx.CancelListener listener) {
          return () -> false;
        }
      };

  @Nullable Throwable cause();

  RequestCtx.CancelRegistration onCancel(RequestCtx.CancelListener listener);
}
