package io.reqctx;

import java.time.Duration;

/**
 * The cancellation cause of a scope whose deadline passed.
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

  DeadlineExceededException(Duration budget, Tier tier) {
    super("reqctx: deadline exceeded: the " + tier.name() + " scope's budget of " + budget.toMillis() + "ms ran out",
        null, false, false);
    this.budget = budget;
  }

  /** The budget the scope had when it opened. */
  public Duration budget() {
    return budget;
  }
}
