package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The cancellation cause of a scope whose deadline passed: its own alarm, or a deadline the transport
 * enforces for the same call (grpc-java's server deadline, Armeria's request timeout), which transports
 * report with this type too, so that {@link Outcome#ofCancellation} and the metrics call both a deadline.
 *
 * <pre>{@code
 * if (ctx.cancellationCause() instanceof DeadlineExceededException e) {
 *   log.info("gave up after {}", e.budget());
 * }
 * }</pre>
 */
public final class DeadlineExceededException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Duration budget;

  /**
   * The cause for a scope of tier {@code tier} whose budget of {@code budget} ran out (saturated at 100
   * years). No stack trace: a deadline is an outcome, not a bug.
   */
  public DeadlineExceededException(Duration budget, Tier tier) {
    this(Deadline.saturated(requireNonNull(budget, "budget")), requireNonNull(tier, "tier").name());
  }

  private DeadlineExceededException(Duration budget, String tierName) {
    super("reqctx: deadline exceeded: the " + tierName + " scope's budget of " + budget.toMillis() + "ms ran out",
        null, false, false);
    this.budget = budget;
  }

  /** The budget the scope had when it opened. */
  public Duration budget() {
    return budget;
  }
}
