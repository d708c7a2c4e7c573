package io.reqctx;

import static java.util.Objects.requireNonNull;

/**
 * Why reqctx refused a call before any application code ran, with a one-line message that gives the
 * numbers. The one refusal vocabulary of reqctx: the budget policy's {@link OutboundBudget.FailFast}
 * carries a {@link Reason}, transports turn a rejection into their own status (gRPC) or response
 * (HTTP), and telemetry records the reason ({@code reqctx.reason}, lower case).
 *
 * <pre>{@code
 * if (verdict instanceof OutboundBudget.FailFast failFast) {
 *   Rejection rejection = failFast.rejection();
 *   throw (rejection.reason() == Rejection.Reason.BUDGET_EXHAUSTED
 *       ? Status.DEADLINE_EXCEEDED : Status.FAILED_PRECONDITION)
 *       .withDescription(rejection.message()).asRuntimeException();
 * }
 * }</pre>
 *
 * @param reason the rule that refused the call
 * @param message what happened, with the numbers and the switch to change; one line
 */
public record Rejection(Reason reason, String message) {

  public Rejection {
    requireNonNull(reason, "reason");
    requireNonNull(message, "message");
  }

  /** The rule that refused a call. */
  public enum Reason {
    /**
     * Not enough budget: an inbound call arrived with no time left, or what an outgoing call would get
     * after the reserve is below the minimum viable budget.
     */
    BUDGET_EXHAUSTED,
    /** The outgoing call goes up the tier order and the budget policy rejects tier violations. */
    TIER_VIOLATION,
    /** The inbound hop count is above the server's limit (a call loop). */
    HOP_LIMIT,
    /** The outgoing call was not sent because the request above was already cancelled. */
    CANCELLED;

    /** The value of the {@code reqctx.reason} attribute, e.g. {@code "budget_exhausted"}. */
    public String attributeValue() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
