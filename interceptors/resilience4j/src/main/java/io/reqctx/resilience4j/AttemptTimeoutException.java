package io.reqctx.resilience4j;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One attempt ran out of its own budget ({@code min(per-attempt cap, remaining - reserve)}) while the
 * caller's request was still alive. The attempt's ctx was cancelled, which stops the work under it (a
 * gRPC call made with reqctx's client interceptor is cancelled; a thread running a blocking attempt is
 * interrupted). Retryable by default.
 *
 * <pre>{@code
 * catch (AttemptTimeoutException e) {
 *   log.info("attempt {} gave up after {}", e.attempt(), e.budget());
 * }
 * }</pre>
 */
public final class AttemptTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int attempt;
  private final transient Duration budget;

  AttemptTimeoutException(String downstream, int attempt, Duration budget, @Nullable Throwable cause) {
    super("reqctx: attempt " + attempt + " to " + downstream + " timed out after its budget of "
        + budget.toMillis() + "ms (min of the per-attempt cap and the remaining budget minus the reserve); "
        + "the attempt's ctx was cancelled to stop its work", cause, true, false);
    this.attempt = attempt;
    this.budget = budget;
  }

  /** Which attempt timed out (1 for the first). */
  public int attempt() {
    return attempt;
  }

  /** The budget the attempt had. */
  public Duration budget() {
    return budget;
  }
}
