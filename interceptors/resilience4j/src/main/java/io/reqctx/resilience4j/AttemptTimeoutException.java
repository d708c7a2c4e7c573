package io.reqctx.resilience4j;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One attempt ran out of its own budget ({@code min(per-attempt cap, remaining - reserve)}) while the
 * caller's request was still alive. The attempt's ctx was cancelled, which stops the work under it (a
 * gRPC call made with reqctx's client interceptor is cancelled; a thread running a blocking attempt is
 * interrupted). Retryable by default.
 *
 * <p>When the caller's remaining time cut the attempt's budget below its per-attempt cap (or below
 * the callee's own limits), the timeout is the caller's lateness rather than the downstream's
 * slowness: {@link #cutShortByCaller()} says so, and a {@link DownstreamGuard} then does not record it
 * as a failure in the downstream's circuit breaker.
 *
 * <pre>{@code
 * catch (AttemptTimeoutException e) {
 *   log.info("attempt {} gave up after {} (cut short by the caller: {})", e.attempt(), e.budget(),
 *       e.cutShortByCaller());
 * }
 * }</pre>
 */
public final class AttemptTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int attempt;
  private final transient Duration budget;
  private final boolean cutShortByCaller;

  AttemptTimeoutException(String downstream, int attempt, Duration budget, boolean cutShortByCaller,
      @Nullable Throwable cause) {
    super("reqctx: attempt " + attempt + " to " + downstream + " timed out after its budget of "
        + budget.toMillis() + "ms (min of the per-attempt cap and the remaining budget minus the reserve); "
        + "the attempt's ctx was cancelled to stop its work"
        + (cutShortByCaller ? "; the caller's remaining time had cut the budget below the attempt's cap, so "
            + "the circuit breaker does not count it against " + downstream : ""), cause, true, false);
    this.attempt = attempt;
    this.budget = budget;
    this.cutShortByCaller = cutShortByCaller;
  }

  /** Which attempt timed out (1 for the first). */
  public int attempt() {
    return attempt;
  }

  /** The budget the attempt had. */
  public Duration budget() {
    return budget;
  }

  /** Whether the caller's remaining time, not the attempt's cap, set that budget. */
  public boolean cutShortByCaller() {
    return cutShortByCaller;
  }
}
