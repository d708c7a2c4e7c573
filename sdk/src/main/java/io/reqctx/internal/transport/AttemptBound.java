package io.reqctx.internal.transport;

import static java.util.Objects.requireNonNull;

import io.reqctx.CtxKey;
import io.reqctx.Deadline;
import io.reqctx.RequestCtx;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Marks the ctx of one attempt of a guarded call (a retry or a hedge) whose deadline its guard cut from
 * the request's remaining time with the reserve already taken. A call made in that ctx takes its
 * reserve from the request's remaining time, once, and is then bounded by the attempt's deadline
 * ({@link io.reqctx.BudgetPolicy#outboundInAttempt}); without the mark it would take the reserve again
 * from the attempt's shorter time. A scope opened inside the attempt with a deadline of its own is not
 * the attempt any more: calls made in it take their reserve from its time, as usual.
 */
public final class AttemptBound {
  private static final CtxKey<AttemptBound> KEY = CtxKey.local("reqctx.attempt-bound");

  private final Deadline attempt;
  private final @Nullable Deadline request;

  private AttemptBound(Deadline attempt, @Nullable Deadline request) {
    this.attempt = attempt;
    this.request = request;
  }

  /**
   * {@code attemptCtx}, the ctx of an attempt started in {@code request} with a deadline cut from the
   * request's remaining time less the reserve, marked as such; {@code attemptCtx} itself when it has
   * no deadline.
   */
  public static RequestCtx mark(RequestCtx attemptCtx, RequestCtx request) {
    requireNonNull(request, "request");
    Optional<Deadline> deadline = attemptCtx.deadline();
    if (deadline.isEmpty()) {
      return attemptCtx;
    }
    return attemptCtx.with(KEY, new AttemptBound(deadline.get(), request.deadline().orElse(null)));
  }

  /** The bound of the attempt {@code ctx} is, or null when {@code ctx} is no marked attempt's ctx. */
  static @Nullable AttemptBound of(RequestCtx ctx) {
    AttemptBound bound = ctx.get(KEY);
    return bound != null && ctx.deadline().orElse(null) == bound.attempt ? bound : null;
  }

  /** The request's remaining time, from which the reserve is taken; null when the request has no deadline. */
  @Nullable Duration requestRemaining() {
    return request == null ? null : request.remaining();
  }
}
