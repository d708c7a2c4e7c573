package io.reqctx;

import java.time.Duration;
import java.util.Locale;

/**
 * The verdict of {@link BudgetPolicy#outbound}: {@link Send} with the budget to put on the call,
 * {@link SendWithoutDeadline} when nothing limits the call (a long-lived callee, a caller without a
 * deadline), or {@link FailFast} with the reason the call must not be sent.
 *
 * <pre>{@code
 * OutboundBudget verdict = policy.outbound(ctx.remainingBudget().orElse(null), ctx.tier(), callee);
 * if (verdict instanceof OutboundBudget.FailFast failFast) {
 *   throw Status.DEADLINE_EXCEEDED.withDescription(failFast.message()).asRuntimeException();
 * }
 * CallOptions options = verdict instanceof OutboundBudget.Send send
 *     ? CallOptions.DEFAULT.withDeadlineAfter(send.budget().toNanos(), NANOSECONDS)
 *     : CallOptions.DEFAULT;                      // SendWithoutDeadline: e.g. a long-lived stream
 * }</pre>
 */
public sealed interface OutboundBudget {

  /** The callee the verdict is for. */
  Callee callee();

  /** Whether the call from the caller's tier to the callee's tier breaks the tier order. */
  boolean tierViolation();

  /** Which limit decided the budget that is sent. */
  enum Limit {
    /**
     * The caller's remaining budget minus the reserve (or, inside an attempt of a guarded call, the
     * attempt's remaining time: see {@link BudgetPolicy#outboundInAttempt}).
     */
    CALLER_REMAINING,
    /** The callee tier's cap. */
    CALLEE_TIER_CAP,
    /** The budget declared for the called method. */
    CALLEE_METHOD_BUDGET
  }

  /**
   * Send the call with {@code budget}.
   *
   * @param budget the budget to send (the call's deadline is now + budget)
   * @param reserve the time kept back for transit and serialisation (zero when the caller had no deadline)
   * @param limitedBy which limit decided the budget
   */
  record Send(Callee callee, Duration budget, Duration reserve, Limit limitedBy, boolean tierViolation)
      implements OutboundBudget {}

  /**
   * Send the call without a deadline: the callee is {@linkplain Callee#longLived long-lived} without a
   * cap of its own and the caller has no deadline, so no limit applies. The call still ends when the
   * caller's request is cancelled.
   */
  record SendWithoutDeadline(Callee callee, boolean tierViolation) implements OutboundBudget {}

  /**
   * Do not send the call.
   *
   * @param remaining the caller's remaining budget
   * @param reserve the reserve that was subtracted
   * @param budget what would have been sent (may be negative)
   * @param minimum the policy's minimum viable budget
   * @param reason why the call is refused
   */
  record FailFast(
      Callee callee,
      Duration remaining,
      Duration reserve,
      Duration budget,
      Duration minimum,
      Rejection.Reason reason,
      boolean tierViolation)
      implements OutboundBudget {

    /**
     * @param reason {@link Rejection.Reason#BUDGET_EXHAUSTED} (what is left after the reserve is below
     *     the minimum viable budget) or {@link Rejection.Reason#TIER_VIOLATION} (the call goes up the
     *     tier order and the policy rejects tier violations)
     */
    public FailFast {
      if (reason != Rejection.Reason.BUDGET_EXHAUSTED && reason != Rejection.Reason.TIER_VIOLATION) {
        throw new IllegalArgumentException("a budget verdict fails for BUDGET_EXHAUSTED or TIER_VIOLATION, not " + reason);
      }
    }

    /** The refusal as transports report it: {@link #reason()} and {@link #message()}. */
    public Rejection rejection() {
      return new Rejection(reason, message());
    }

    /** A message for the caller that gives the numbers and the switch to change. */
    public String message() {
      if (reason == Rejection.Reason.TIER_VIOLATION) {
        return String.format(
            Locale.ROOT,
            "reqctx: call to %s (tier %s) not sent: it goes up the tier order and the budget policy "
                + "rejects tier violations (BudgetPolicy.builder().rejectTierViolations(false) only reports them)",
            callee.name(),
            callee.tier().name());
      }
      return String.format(
          Locale.ROOT,
          "reqctx: call to %s (tier %s) not sent: budget %dms (remaining %dms - reserve %dms) is below the "
              + "minimum viable budget %dms; the caller's deadline is nearly spent "
              + "(give the caller more time, or lower BudgetPolicy.builder().minimumViableBudget)",
          callee.name(),
          callee.tier().name(),
          budget.toMillis(),
          remaining.toMillis(),
          reserve.toMillis(),
          minimum.toMillis());
    }
  }
}
