package io.reqctx;

import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * How a request, or one call of it, ended: the one outcome vocabulary of reqctx. A scope reports it
 * in {@link CtxObserver.CtxEnd#outcome()}, transports record it as the {@code reqctx.outcome} span
 * attribute, and {@link #ofCancellation} says which outcome a cancellation cause stands for.
 *
 * <pre>{@code
 * CtxObserver.register(new CtxObserver() {
 *   public void onClose(CtxEnd end) {
 *     if (end.outcome() == Outcome.DEADLINE_EXCEEDED) slowRequests.increment();
 *   }
 * });
 * Outcome why = Outcome.ofCancellation(ctx.cancellationCause());   // OK while the ctx is live
 * }</pre>
 */
public enum Outcome {
  /** The request (or call) completed. */
  OK("ok"),
  /** It failed: the handler threw, or the call ended with an error status. */
  ERROR("error"),
  /** Its deadline passed first (reqctx's, the transport's, or the caller's). */
  DEADLINE_EXCEEDED("deadline_exceeded"),
  /** The caller left, or an owner or parent cancelled it. */
  CANCELLED("cancelled"),
  /**
   * reqctx refused it before any application code ran; {@link Rejection#reason()} says why (recorded
   * as the {@code reqctx.reason} span attribute). Only calls are rejected, never a scope on its own.
   */
  REJECTED("rejected");

  private final String attributeValue;

  Outcome(String attributeValue) {
    this.attributeValue = attributeValue;
  }

  /** The value of the {@code reqctx.outcome} span attribute, e.g. {@code "deadline_exceeded"}. */
  public String attributeValue() {
    return attributeValue;
  }

  /**
   * The outcome a cancellation cause stands for: {@link #OK} for null (not cancelled), {@link
   * #DEADLINE_EXCEEDED} for a {@link DeadlineExceededException} or a {@link TimeoutException} (what
   * grpc-java's context deadline uses), {@link #CANCELLED} for a {@link CancellationException} (the
   * caller left, an owner cancelled), {@link #ERROR} for anything else (the request failed).
   */
  public static Outcome ofCancellation(@Nullable Throwable cause) {
    if (cause == null) {
      return OK;
    }
    if (cause instanceof DeadlineExceededException || cause instanceof TimeoutException) {
      return DEADLINE_EXCEEDED;
    }
    return cause instanceof CancellationException ? CANCELLED : ERROR;
  }
}
