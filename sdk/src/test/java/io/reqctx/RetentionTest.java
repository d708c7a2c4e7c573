package io.reqctx;

import static io.reqctx.Reachability.awaitCollected;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.reqctx.testing.ContextHygieneExtension;
import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Nothing of a finished request stays reachable from ctxs that live longer than it. */
@ExtendWith(ContextHygieneExtension.class)
class RetentionTest {
  private static final ContextKey<Object> REQUEST_STATE = ContextKey.named("request-state");

  @Test
  void theRootCtxDoesNotKeepTheContextItWasLastAttachedOver() {
    WeakReference<Object> requestState = attachOverARequestContext(RequestCtx.root());

    awaitCollected(requestState, "the request's context");
  }

  @Test
  void aLongLivedDetachedCtxDoesNotKeepTheContextItWasLastAttachedOver() {
    RequestCtx background;
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      background = request.detached();
    }

    WeakReference<Object> requestState = attachOverARequestContext(background);

    awaitCollected(requestState, "the request's context");
    assertThat(background.requestId()).isNotEmpty(); // still in use
  }

  @Test
  void aClosedScopesCauseDoesNotCollectSuppressedExceptionsAcrossRequests() {
    WeakReference<Throwable> suppressed = failAfterTheRequestEnded();

    awaitCollected(suppressed, "the first request's suppressed exception");
    try (CancellableCtx next = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      next.close();
      assertThat(next.ctx().cancellationCause()).isNotNull();
      assertThat(next.ctx().cancellationCause().getSuppressed()).isEmpty();
    }
  }

  private static WeakReference<Object> attachOverARequestContext(RequestCtx longLived) {
    Object state = new byte[1024];
    try (Scope request = Context.root().with(REQUEST_STATE, state).makeCurrent();
        Scope attached = longLived.makeCurrent()) {
      assertThat(RequestCtx.current()).isSameAs(longLived);
    }
    return new WeakReference<>(state);
  }

  /** A handler rethrows its ended request's cause and a resource fails to close: Java adds it as suppressed. */
  private static WeakReference<Throwable> failAfterTheRequestEnded() {
    RequestCtx ended;
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      ended = request.ctx();
    }
    Throwable cause = ended.cancellationCause();
    Throwable closeFailure = new IllegalStateException("connection close failed");
    cause.addSuppressed(closeFailure);
    return new WeakReference<>(closeFailure);
  }
}
