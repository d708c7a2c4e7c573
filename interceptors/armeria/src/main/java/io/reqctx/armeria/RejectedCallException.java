package io.reqctx.armeria;

import static java.util.Objects.requireNonNull;

import io.reqctx.Rejection;

/**
 * The failure of an outgoing {@code WebClient} request that {@link RequestCtxClient} did not send: the
 * budget left for the callee was below the minimum viable budget, the caller's request was already
 * cancelled, or the call broke the tier order under a policy that rejects it. The message is the
 * budget policy's one line with the numbers; {@link #rejection()} gives the reason. A {@link
 * RequestCtxService} turns the budget reason into {@code 504 Gateway Timeout} and the cancellation
 * reason into {@code 499 Client Closed Request} when the exception reaches it before the response
 * started.
 *
 * <pre>{@code
 * client.get("/stock").aggregate().exceptionally(cause -> {
 *   if (Exceptions.peel(cause) instanceof RejectedCallException rejected
 *       && rejected.rejection().reason() == Rejection.Reason.BUDGET_EXHAUSTED) {
 *     return cachedStock();                      // no time left to ask: serve what we have
 *   }
 *   throw new CompletionException(cause);
 * });
 * }</pre>
 */
public final class RejectedCallException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Rejection rejection;

  /** A failure carrying {@code rejection}'s message. */
  public RejectedCallException(Rejection rejection) {
    super(requireNonNull(rejection, "rejection").message(), null, false, false);
    this.rejection = rejection;
  }

  /** Why the call was not sent. */
  public Rejection rejection() {
    return rejection;
  }
}
