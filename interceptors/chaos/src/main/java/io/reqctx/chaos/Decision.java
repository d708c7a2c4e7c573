package io.reqctx.chaos;

import java.time.Duration;

/**
 * A rule that fired for one request, with the delay drawn for it (zero for faults without one).
 *
 * @param rule the rule
 * @param delay the drawn delay of a {@link Fault.CancelStorm} or {@link Fault.Latency}
 */
record Decision(ChaosRule rule, Duration delay) {

  /** What a cancel storm says when it cancels {@code what} ("call", "request"): the caller sees it. */
  String cancelMessage(String what) {
    return "reqctx-chaos: CancelStorm cancelled the " + what + " after " + delay.toMillis() + "ms (rule "
        + rule.target() + ", fraction " + rule.fraction() + ")";
  }
}
