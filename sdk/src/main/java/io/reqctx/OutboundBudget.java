package io.reqctx;

import java.time.Duration;
import java.util.Locale;

/**
 * The verdict of {@link BudgetPolicy#outbound}: either {@link Send} with the budget to put on the
 * call, or {@link FailFast} with the reason the call must not be sent.
 *
 * <pre>{@code
 * OutboundBudget verdict = policy.outbound(ctx.remainingBudget(), ctx.tier(), callee);
 * if (verdict instanceof OutboundBudget.FailFast f) {
 *   throw Status.DEADLINE_EXCEEDED.withDescription(f.message()).asRuntimeException();
 * }
 * Duration budget = ((OutboundBudget.Send) verdict).budget();
 * }</pre>
 */
public sealed interface OutboundBudget {

  /** The callee the verdict is for. */
  Callee callee();

  /** Whether the call from the caller's tier to the callee's tier breaks the tier order. */
  boolean tierViolation();

  /** Which limit decided the budget that is sent. */
  enum Limit {
    /** The caller's remaining budget minus the reserve. */
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
      Reason reason,
      boolean tierViolation)
      implements OutboundBudget {

    /** Why a call is refused. */
    public enum Reason {
      /** What is left after the reserve is below the minimum viable budget. */
      BUDGET_TOO_SMALL,
      /** The call goes up the tier order and the policy rejects tier violations. */
      TIER_VIOLATION
    }

    /** A message for the caller that gives the numbers and the switch to change. */
    public String message() {
      if (reason == Reason.TIER_VIOLATION) {
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
