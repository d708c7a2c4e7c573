package io.reqctx.resilience4j;

import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.CtxKey;
import io.reqctx.OutboundBudget;
import io.reqctx.RequestCtx;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The budget rules of a guarded call, apart from running it: each attempt's budget, and whether the
 * budget lets another attempt start. Budget arithmetic comes from {@link BudgetPolicy} only; the
 * retry's own rules (predicates, max attempts, backoff) are Resilience4j's.
 */
final class RetryPlanner {
  /** Set on the ctx of every attempt of a loop that may retry: loops nested in it do not retry. */
  private static final CtxKey<Boolean> INSIDE_RETRY_LOOP = CtxKey.local("reqctx.resilience4j.inside-retry-loop");

  /** The budget of an attempt that nothing bounds: 100 years, where reqctx saturates every duration. */
  private static final Duration UNBOUNDED = Duration.ofDays(36_500);

  private final GuardConfig config;

  RetryPlanner(GuardConfig config) {
    this.config = config;
  }

  GuardConfig config() {
    return config;
  }

  /**
   * The budget of one attempt and whether the caller's remaining time cut it below what the attempt
   * would have had otherwise (its per-attempt cap, or the callee's limits; false when the guard knows
   * neither).
   */
  record AttemptBudget(Duration budget, boolean cutByCaller) {}

  /** Whether a loop started from {@code ctx} may make more than one attempt. */
  boolean mayRetry(RequestCtx ctx) {
    return config.retry() != null
        && config.retry().getRetryConfig().getMaxAttempts() > 1
        && mayRepeat(ctx);
  }

  /**
   * Whether a call started from {@code ctx} is hedged: the guard hedges, the call is idempotent, and
   * the hop may repeat calls (the same rule as for retries, so hedges never multiply down a chain).
   */
  boolean mayHedge(RequestCtx ctx) {
    return config.hedging() != null && config.idempotent() && mayRepeat(ctx);
  }

  /** Not inside another loop of this process, and the amplification rule lets this hop repeat calls. */
  private boolean mayRepeat(RequestCtx ctx) {
    return ctx.get(INSIDE_RETRY_LOOP) == null && config.amplificationRule().mayRetry(ctx);
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
  AttemptBudget attemptBudget(RequestCtx ctx, int attemptsMade) {
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
    if (verdict instanceof OutboundBudget.SendWithoutDeadline) {
      // A long-lived callee called without a deadline: nothing but the per-attempt cap bounds it.
      return new AttemptBudget(cap != null ? cap : UNBOUNDED, false);
    }
    OutboundBudget.Send send = (OutboundBudget.Send) verdict;
    if (cap != null && cap.compareTo(send.budget()) < 0) {
      return new AttemptBudget(cap, false);
    }
    // Without a cap or a callee the guard does not know what the attempt would have had otherwise (the
    // transport may cap it further), so it cannot blame the caller.
    boolean knowsFullBudget = cap != null || callee != null;
    return new AttemptBudget(send.budget(),
        knowsFullBudget && send.limitedBy() == OutboundBudget.Limit.CALLER_REMAINING);
  }

  /**
   * Why the budget forbids the retry Resilience4j is about to make after attempt {@code attemptsMade}
   * failed with {@code failure} (null: the result asked for the retry), {@code backoffMillis} from now;
   * null when it allows it. Checks, in order: cancellation, the transport's retryable failures, the
   * amplification rule, the deadline budget (backoff plus {@link GuardConfig#minimumRetryBudgetOrDefault()}
   * must fit in what is left after the reserve), and last the retry budget, so that no retry token is
   * spent on a retry that would not be made.
   */
  @Nullable RetryStoppedException vetoRetry(RequestCtx ctx, int attemptsMade, @Nullable Throwable failure,
      long backoffMillis, boolean retrying) {
    String downstream = config.downstream();
    if (ctx.isCancelled()) {
      return cancelled(ctx, attemptsMade, "");
    }
    if (failure != null && !(failure instanceof AttemptTimeoutException) && !config.retryOn().test(failure)) {
      return stop(StopReason.NOT_RETRYABLE, attemptsMade,
          "reqctx: not retrying " + downstream + ": the failure is not one the transport retries "
              + "(retryableCodes / retryableStatuses / retryableExceptions)");
    }
    if (!retrying) {
      return stop(StopReason.AMPLIFICATION_RULE, attemptsMade,
          "reqctx: not retrying " + downstream + " at hop " + ctx.hopCount() + " (inbound attempt "
              + ctx.inboundAttempt() + "): " + config.amplificationRule()
              + ", or the call runs inside another retry loop; retries at several layers would multiply");
    }
    RetryStoppedException noTime = budgetVeto(ctx, attemptsMade, backoffMillis, config.minimumRetryBudgetOrDefault(),
        "retrying", "a retry needs (the TimeLimiter's timeout, or DownstreamGuard.builder().minimumRetryBudget)");
    return noTime != null ? noTime : takeRetryToken(attemptsMade, "retrying");
  }

  /**
   * Why hedge {@code attemptsMade + 1} must not be sent now; null when it may: the caller's request is
   * not cancelled, and what is left after the reserve fits {@link GuardConfig#minimumHedgeBudget()}. The
   * retry token is taken last, by {@link #takeRetryToken}, once the breaker and the bulkhead let it start.
   */
  @Nullable RetryStoppedException vetoHedge(RequestCtx ctx, int attemptsMade) {
    if (ctx.isCancelled()) {
      return stop(StopReason.CANCELLED, attemptsMade, "reqctx: not hedging " + config.downstream()
          + ": the caller's request was cancelled (" + ctx.cancellationCause() + ")");
    }
    return budgetVeto(ctx, attemptsMade, 0, config.minimumHedgeBudget(), "hedging",
        "a hedge needs (Hedging.builder().minimumBudget, else as for a retry: DownstreamGuard.builder()"
            + ".minimumRetryBudget or the TimeLimiter's timeout)");
  }

  /**
   * Why attempt {@code attemptsMade + 1}, started {@code waitMillis} from now, cannot be made: what will
   * be left of the remaining budget after the reserve is below {@code needed}; null when it fits.
   */
  private @Nullable RetryStoppedException budgetVeto(RequestCtx ctx, int attemptsMade, long waitMillis,
      Duration needed, String doing, String neededBy) {
    Duration remaining = ctx.remainingBudget().orElse(null);
    if (remaining == null) {
      return null;
    }
    Duration afterWait = remaining.minus(Duration.ofMillis(waitMillis));
    Duration left = afterWait.isNegative() ? Duration.ZERO : afterWait;
    Duration available = config.policy().usable(left);
    if (available.compareTo(needed) >= 0) {
      return null;
    }
    return stop(StopReason.DEADLINE_BUDGET, attemptsMade,
        "reqctx: not " + doing + " " + config.downstream() + ": attempt " + (attemptsMade + 1) + " would get "
            + Math.max(0, available.toMillis()) + "ms (remaining " + remaining.toMillis() + "ms"
            + (waitMillis > 0 ? " - backoff " + waitMillis + "ms" : "") + " - reserve "
            + config.policy().reserveFor(left).toMillis() + "ms), less than the " + needed.toMillis() + "ms "
            + neededBy);
  }

  /** Takes a token from the retry budget for one more attempt; why not, when it is spent. */
  @Nullable RetryStoppedException takeRetryToken(int attemptsMade, String doing) {
    RetryBudget retryBudget = config.retryBudget();
    if (retryBudget != null && !retryBudget.tryAcquireRetry()) {
      return stop(StopReason.RETRY_BUDGET, attemptsMade,
          "reqctx: not " + doing + " " + config.downstream() + ": its retry budget is spent (" + retryBudget + ")");
    }
    return null;
  }

  /** Why the loop ends after attempt {@code attemptsMade} failed and Resilience4j itself did not retry it. */
  RetryStoppedException stopWithoutVeto(RequestCtx ctx, int attemptsMade, Throwable failure) {
    if (ctx.isCancelled()) {
      return cancelled(ctx, attemptsMade, "");
    }
    if (config.retry() == null) {
      return stop(StopReason.ATTEMPTS_EXHAUSTED, attemptsMade,
          "reqctx: gave up on " + config.downstream() + " after 1 attempt (the guard has no Retry)");
    }
    if (!config.retry().getRetryConfig().getExceptionPredicate().test(failure)) {
      return stop(StopReason.NOT_RETRYABLE, attemptsMade,
          "reqctx: not retrying " + config.downstream() + ": the failure is not retryable (the exception predicate "
              + "of Retry '" + config.retry().getName() + "')");
    }
    return stop(StopReason.ATTEMPTS_EXHAUSTED, attemptsMade,
        "reqctx: gave up on " + config.downstream() + " after " + attemptsMade + " attempts (maxAttempts "
            + config.retry().getRetryConfig().getMaxAttempts() + " of Retry '" + config.retry().getName() + "')");
  }

  RetryStoppedException cancelled(RequestCtx ctx, int attemptsMade, String when) {
    return stop(StopReason.CANCELLED, attemptsMade, "reqctx: not retrying " + config.downstream()
        + ": the caller's request was cancelled" + when + " (" + ctx.cancellationCause() + ")");
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
