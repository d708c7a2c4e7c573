package io.reqctx.resilience4j;

import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.OutboundBudget;
import io.reqctx.RequestCtx;
import java.time.Duration;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The decisions of a retry loop, apart from running it: each attempt's budget, and whether (and after
 * which backoff) another attempt may start. Budget arithmetic comes from {@link BudgetPolicy} only.
 */
final class RetryPlanner {
  /** Set on the ctx of every attempt of a loop that may retry: loops nested in it do not retry. */
  private static final CtxKey<Boolean> INSIDE_RETRY_LOOP = CtxKey.local("reqctx.resilience4j.inside-retry-loop");

  private final BudgetRetryConfig config;

  RetryPlanner(BudgetRetryConfig config) {
    this.config = config;
  }

  BudgetRetryConfig config() {
    return config;
  }

  /** Whether a loop started from {@code ctx} may make more than one attempt. */
  boolean mayRetry(RequestCtx ctx) {
    return config.maxAttempts() > 1
        && ctx.get(INSIDE_RETRY_LOOP) == null
        && config.amplificationRule().mayRetry(ctx);
  }

  /** The ctx attempt {@code attempt} runs in (its scope is opened under it). */
  RequestCtx attemptCtx(RequestCtx ctx, int attempt, boolean retrying) {
    RequestCtx withAttempt = ctx.withOutgoingAttempt(attempt);
    return retrying ? withAttempt.with(INSIDE_RETRY_LOOP, Boolean.TRUE) : withAttempt;
  }

  /**
   * The budget of the next attempt: {@code min(per-attempt cap, remaining - reserve)}, or with a callee
   * {@code min(per-attempt cap, outbound verdict)}.
   *
   * @throws RetryStoppedException ({@link StopReason#DEADLINE_BUDGET}) when it is below the minimum viable budget
   */
  Duration attemptBudget(RequestCtx ctx, int attemptsMade) {
    BudgetPolicy policy = config.policy();
    Duration cap = config.perAttemptCap();
    Duration remaining = ctx.remainingBudget().orElse(null);
    Callee callee = config.callee();
    // Without a configured callee the attempt is work inside this hop, bounded by the per-attempt cap.
    OutboundBudget verdict = callee != null
        ? policy.outbound(remaining, ctx.tier(), callee)
        : policy.within(remaining, cap != null
            ? Callee.of(config.downstream(), ctx.tier(), cap) : Callee.of(config.downstream(), ctx.tier()));
    if (verdict instanceof OutboundBudget.FailFast failFast) {
      throw new RetryStoppedException(StopReason.DEADLINE_BUDGET, attemptsMade,
          "reqctx: attempt " + (attemptsMade + 1) + " not started: " + failFast.message(), null);
    }
    Duration budget = ((OutboundBudget.Send) verdict).budget();
    return cap != null && cap.compareTo(budget) < 0 ? cap : budget;
  }

  /**
   * The backoff in nanoseconds before attempt {@code attemptsMade + 1}, after attempt {@code
   * attemptsMade} failed with {@code failure}. Checks, in order: cancellation, the retry predicate, the
   * attempt count, the amplification rule, the deadline budget (backoff plus {@link
   * BudgetRetryConfig#minimumRetryBudget()} must fit in what is left after the reserve), and last the
   * retry budget, so that no retry token is spent on a retry that would not be made.
   *
   * @throws RetryStoppedException saying why there is no next attempt
   */
  long backoffBeforeNextAttempt(
      RequestCtx ctx, int attemptsMade, Throwable failure, Predicate<Throwable> retryOn, boolean retrying) {
    String downstream = config.downstream();
    if (ctx.isCancelled()) {
      throw stop(StopReason.CANCELLED, attemptsMade,
          "reqctx: not retrying " + downstream + ": the caller's request was cancelled (" + ctx.cancellationCause() + ")");
    }
    if (!(failure instanceof AttemptTimeoutException) && !retryOn.test(failure)) {
      throw stop(StopReason.NOT_RETRYABLE, attemptsMade,
          "reqctx: not retrying " + downstream + ": the failure is not retryable (BudgetRetryConfig.retryOn)");
    }
    if (attemptsMade >= config.maxAttempts()) {
      throw stop(StopReason.ATTEMPTS_EXHAUSTED, attemptsMade,
          "reqctx: gave up on " + downstream + " after " + attemptsMade + " attempts (maxAttempts "
              + config.maxAttempts() + ")");
    }
    if (!retrying) {
      throw stop(StopReason.AMPLIFICATION_RULE, attemptsMade,
          "reqctx: not retrying " + downstream + " at hop " + ctx.hopCount() + " (inbound attempt "
              + ctx.inboundAttempt() + "): " + config.amplificationRule()
              + ", or the call runs inside another retry loop; retries at several layers would multiply");
    }
    long backoffMillis = Math.max(0, config.backoff().apply(attemptsMade));
    Duration backoff = Duration.ofMillis(backoffMillis);
    Duration remaining = ctx.remainingBudget().orElse(null);
    if (remaining != null) {
      Duration afterBackoff = remaining.minus(backoff);
      Duration reserve = config.policy().reserveFor(afterBackoff.isNegative() ? Duration.ZERO : afterBackoff);
      Duration available = config.policy().usable(afterBackoff.isNegative() ? Duration.ZERO : afterBackoff);
      Duration needed = config.minimumRetryBudget();
      if (available.compareTo(needed) < 0) {
        throw stop(StopReason.DEADLINE_BUDGET, attemptsMade,
            "reqctx: not retrying " + downstream + ": attempt " + (attemptsMade + 1) + " would get "
                + Math.max(0, available.toMillis()) + "ms (remaining " + remaining.toMillis() + "ms - backoff "
                + backoffMillis + "ms - reserve " + reserve.toMillis() + "ms), less than the "
                + needed.toMillis() + "ms a retry needs (per-attempt cap, or "
                + "BudgetRetryConfig.builder().minimumRetryBudget)");
      }
    }
    RetryBudget retryBudget = config.retryBudget();
    if (retryBudget != null && !retryBudget.tryAcquireRetry()) {
      throw stop(StopReason.RETRY_BUDGET, attemptsMade,
          "reqctx: not retrying " + downstream + ": its retry budget is spent (" + retryBudget + ")");
    }
    return backoff.toNanos();
  }

  private static RetryStoppedException stop(StopReason reason, int attemptsMade, String message) {
    return new RetryStoppedException(reason, attemptsMade, message, null);
  }

  /** The exception a stopped loop ends with: the last failure carrying {@code stop}, or {@code stop} itself. */
  static Throwable failure(RetryStoppedException stop, @Nullable Throwable last) {
    if (last == null) {
      return stop;
    }
    last.addSuppressed(stop);
    return last;
  }
}
