package io.reqctx.transport;

/**
 * How a call ended, as the {@code reqctx.outcome} span attribute records it.
 *
 * <pre>{@code
 * inbound.close(status.isOk() ? Outcome.OK : Outcome.ERROR);
 * }</pre>
 */
public enum Outcome {
  /** The call succeeded. */
  OK("ok"),
  /** The call failed for a reason other than its deadline, a cancellation or a rejection. */
  ERROR("error"),
  /** The deadline passed before the call ended. */
  DEADLINE_EXCEEDED("deadline_exceeded"),
  /** The caller (or the request above) gave up. */
  CANCELLED("cancelled"),
  /** An outgoing call was not sent: its budget was below the minimum viable budget. */
  REJECTED_BUDGET("rejected_budget"),
  /** The call was refused for another reqctx rule (hop limit, tier order). */
  REJECTED("rejected");

  private final String attributeValue;

  Outcome(String attributeValue) {
    this.attributeValue = attributeValue;
  }

  /** The value of the {@code reqctx.outcome} attribute, e.g. {@code "deadline_exceeded"}. */
  public String attributeValue() {
    return attributeValue;
  }
}
