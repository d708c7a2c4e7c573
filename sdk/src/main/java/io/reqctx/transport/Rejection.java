package io.reqctx.transport;

import static java.util.Objects.requireNonNull;

/**
 * Why reqctx refuses a call before any application code runs, with a one-line message that gives the
 * numbers. A transport turns it into its own status (gRPC) or response (HTTP).
 *
 * <pre>{@code
 * Rejection rejection = inbound.rejection();
 * if (rejection != null) {
 *   call.close(rejection.reason() == Rejection.Reason.BUDGET_EXHAUSTED
 *       ? Status.DEADLINE_EXCEEDED.withDescription(rejection.message())
 *       : Status.FAILED_PRECONDITION.withDescription(rejection.message()), new Metadata());
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
    /** No budget left: inbound the deadline had passed on arrival, outbound the budget is below the minimum. */
    BUDGET_EXHAUSTED,
    /** The inbound hop count is above the server's limit (a call loop). */
    HOP_LIMIT,
    /** The outgoing call goes up the tier order and the policy rejects tier violations. */
    TIER_VIOLATION,
    /** The outgoing call was not sent because the request above was already cancelled. */
    CANCELLED
  }
}
