package io.reqctx.chaos;

import java.time.Duration;

/**
 * A rule that fired for one request, with the delay drawn for it (zero for faults without one).
 *
 * @param rule the rule
 * @param delay the drawn delay of a {@link Fault.CancelStorm} or {@link Fault.Latency}
 */
record Decision(ChaosRule rule, Duration delay) {}
