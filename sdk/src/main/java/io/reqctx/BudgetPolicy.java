package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The budget arithmetic, in one place: pure functions of durations, no clock and no I/O.
 *
 * <ul>
 *   <li>Inbound: {@code effective = min(inbound remaining, own tier cap, method budget)}; a
 *       {@linkplain Callee#longLived() long-lived} method drops the tier cap (its method budget, when
 *       declared, is its own cap), and with nothing left to apply the call has no deadline. The rule is
 *       the same for trusted and edge peers; at the edge it means a client can shorten its budget but
 *       never extend it past the gateway's cap.
 *   <li>Outbound: {@code sent = min(remaining - reserve, callee tier cap, callee method budget)} with
 *       {@code reserve = floor + fraction * remaining} for transit and serialisation; again without
 *       the tier cap for a long-lived callee, and without a deadline when no limit applies. With an
 *       {@linkplain Builder#adaptiveReserve adaptive reserve} the reserve for a callee whose transit
 *       cost is known is that cost (a high percentile of what was observed), within the configured
 *       bounds, instead of floor plus fraction.
 *   <li>Durations saturate at 100 years (as grpc-java's {@code Deadline} does): a huge cap or budget
 *       never overflows.
 *   <li>Fail fast: when {@code sent < minimum viable budget} the call is not sent.
 *   <li>Tier order: a call to a higher tier (and, unless allowed, to the same tier) is a violation.
 * </ul>
 *
 * <pre>{@code
 * BudgetPolicy policy = BudgetPolicy.builder()
 *     .reserveFloor(Duration.ofMillis(5))
 *     .reserveFraction(0.05)
 *     .minimumViableBudget(Duration.ofMillis(20))
 *     .build();
 * Duration own = policy.inboundBudget(Duration.ofSeconds(10), Tier.SERVICE, null); // 3 s: the cap
 * OutboundBudget verdict = policy.outbound(Duration.ofMillis(900), Tier.SERVICE, Callee.of("cache", Tier.CACHE));
 * }</pre>
 */
public final class BudgetPolicy {
  private static final BudgetPolicy DEFAULTS = builder().build();

  private final Duration reserveFloor;
  private final double reserveFraction;
  private final Duration minimumViableBudget;
  private final boolean sameTierCallsAllowed;
  private final boolean rejectTierViolations;
  private final @Nullable Duration adaptiveReserveMin;
  private final @Nullable Duration adaptiveReserveMax;

  private BudgetPolicy(Builder b) {
    this.reserveFloor = b.reserveFloor;
    this.reserveFraction = b.reserveFraction;
    this.minimumViableBudget = b.minimumViableBudget;
    this.sameTierCallsAllowed = b.sameTierCallsAllowed;
    this.rejectTierViolations = b.rejectTierViolations;
    this.adaptiveReserveMin = b.adaptiveReserveMin;
    this.adaptiveReserveMax = b.adaptiveReserveMax;
  }

  /** Reserve 5 ms + 2 % of the remaining budget, minimum viable budget 10 ms, same-tier calls allowed. */
  public static BudgetPolicy defaults() {
    return DEFAULTS;
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The fixed part of the reserve. */
  public Duration reserveFloor() {
    return reserveFloor;
  }

  /** The part of the reserve proportional to the remaining budget. */
  public double reserveFraction() {
    return reserveFraction;
  }

  /** Whether the reserve follows each callee's observed transit cost ({@link Builder#adaptiveReserve}). */
  public boolean adaptiveReserve() {
    return adaptiveReserveMin != null;
  }

  /** The least adaptive reserve; empty when the reserve is fixed. */
  public Optional<Duration> adaptiveReserveMin() {
    return Optional.ofNullable(adaptiveReserveMin);
  }

  /** The largest adaptive reserve; empty when the reserve is fixed. */
  public Optional<Duration> adaptiveReserveMax() {
    return Optional.ofNullable(adaptiveReserveMax);
  }

  /** Below this, an outgoing call is not sent. */
  public Duration minimumViableBudget() {
    return minimumViableBudget;
  }

  /**
   * The budget a hop works with: the smallest of the inbound remaining time (null: the caller sent no
   * deadline), the own tier's cap and the method budget (null: none). Never negative, saturated at 100
   * years.
   */
  public Duration inboundBudget(
      @Nullable Duration inboundRemaining, Tier ownTier, @Nullable Duration methodBudget) {
    requireNonNull(ownTier, "ownTier");
    return inbound(inboundRemaining, ownTier.cap(), methodBudget).orElseThrow();
  }

  /**
   * The budget a hop works with for a call of {@code method} (null: a method without a declaration):
   * the smallest of the inbound remaining time (null: the caller sent no deadline), the own tier's cap
   * unless the method is {@linkplain Callee#longLived() long-lived}, and the method's budget (for a
   * long-lived method: its own cap). Empty when none of them applies — a long-lived method without a
   * cap called without a deadline — and the call then runs without a deadline. Never negative,
   * saturated at 100 years.
   */
  public Optional<Duration> inbound(@Nullable Duration inboundRemaining, Tier ownTier, @Nullable Callee method) {
    requireNonNull(ownTier, "ownTier");
    boolean tierCapped = method == null || !method.longLived();
    return inbound(inboundRemaining, tierCapped ? ownTier.cap() : null, method == null ? null : method.methodBudget());
  }

  private static Optional<Duration> inbound(
      @Nullable Duration inboundRemaining, @Nullable Duration cap, @Nullable Duration methodBudget) {
    Duration budget = minOrNull(minOrNull(cap, methodBudget), inboundRemaining);
    if (budget == null) {
      return Optional.empty();
    }
    return Optional.of(budget.isNegative() ? Duration.ZERO : Deadline.saturated(budget));
  }

  /** The time kept back from {@code remaining} for transit and serialisation. */
  public Duration reserveFor(Duration remaining) {
    requireNonNull(remaining, "remaining");
    long remainingNanos = Math.max(0, Deadline.saturatedNanos(remaining));
    long proportional = (long) (remainingNanos * reserveFraction);
    return Deadline.saturated(Duration.ofNanos(Deadline.saturatedNanos(reserveFloor) + proportional));
  }

  /**
   * The time kept back from {@code remaining} for a callee whose transit cost (the caller's elapsed time
   * minus the callee's own, at a high percentile) is {@code observedTransit}: with an {@linkplain
   * #adaptiveReserve() adaptive reserve} that cost within the bounds; otherwise, or while the cost is
   * not known (null), {@link #reserveFor(Duration)}.
   */
  public Duration reserveFor(Duration remaining, @Nullable Duration observedTransit) {
    requireNonNull(remaining, "remaining");
    Duration min = adaptiveReserveMin;
    Duration max = adaptiveReserveMax;
    if (min == null || max == null || observedTransit == null) {
      return reserveFor(remaining);
    }
    Duration transit = observedTransit.isNegative() ? Duration.ZERO : Deadline.saturated(observedTransit);
    return transit.compareTo(min) < 0 ? min : transit.compareTo(max) > 0 ? max : transit;
  }

  /** What work started now may use of {@code remaining}: {@code remaining - reserveFor(remaining)}. */
  public Duration usable(Duration remaining) {
    requireNonNull(remaining, "remaining");
    return minus(remaining, reserveFor(remaining));
  }

  private static Duration minus(Duration remaining, Duration reserve) {
    return Duration.ofNanos(Deadline.saturatedNanos(remaining) - Deadline.saturatedNanos(reserve));
  }

  /**
   * The verdict for a call from a hop of tier {@code caller} with {@code remaining} time left (null: no
   * deadline) to {@code callee}.
   */
  public OutboundBudget outbound(@Nullable Duration remaining, Tier caller, Callee callee) {
    return outbound(remaining, caller, callee, null);
  }

  /**
   * The verdict for a call to {@code callee} whose observed transit cost is {@code observedTransit}
   * (null: not known): {@link #outbound(Duration, Tier, Callee)} with the reserve of {@link
   * #reserveFor(Duration, Duration)}.
   */
  public OutboundBudget outbound(
      @Nullable Duration remaining, Tier caller, Callee callee, @Nullable Duration observedTransit) {
    requireNonNull(caller, "caller");
    requireNonNull(callee, "callee");
    return verdict(remaining, null, callee, isTierViolation(caller, callee.tier()), observedTransit);
  }

  /**
   * The verdict for a call made inside one attempt of a guarded call (a retry or a hedge) that may last
   * no longer than {@code attemptRemaining}, a bound already cut, reserve and all, from the request's
   * {@code remaining} time by whoever started the attempt: the reserve is taken once, from {@code
   * remaining}, and the budget is {@code min(}{@link #outbound(Duration, Tier, Callee, Duration)
   * outbound}{@code (remaining, …), attemptRemaining)} — not the reserve taken again from the attempt's
   * time. When the attempt's bound decides, the verdict is limited by {@link
   * OutboundBudget.Limit#CALLER_REMAINING}.
   *
   * <pre>{@code
   * // reserve 5 ms (reserveFloor 5 ms, reserveFraction 0); the request has 22 ms left, and a hedge
   * // was given 22 - 5 = 17 ms, from which it calls the cache:
   * policy.outboundInAttempt(Duration.ofMillis(22), Duration.ofMillis(17), Tier.SERVICE, cache, null);
   * // Send 17 ms (not 17 - 5 = 12 ms)
   * }</pre>
   */
  public OutboundBudget outboundInAttempt(@Nullable Duration remaining, Duration attemptRemaining, Tier caller,
      Callee callee, @Nullable Duration observedTransit) {
    requireNonNull(attemptRemaining, "attemptRemaining");
    requireNonNull(caller, "caller");
    requireNonNull(callee, "callee");
    return verdict(remaining, attemptRemaining, callee, isTierViolation(caller, callee.tier()), observedTransit);
  }

  /**
   * The verdict for work inside this hop — an attempt of a retried call, a sub-task — with {@code
   * remaining} time left: the same arithmetic as {@link #outbound} with {@code work}'s tier cap and
   * budget as the limits, and no tier-order check.
   */
  public OutboundBudget within(@Nullable Duration remaining, Callee work) {
    return verdict(remaining, null, requireNonNull(work, "work"), false, null);
  }

  private OutboundBudget verdict(@Nullable Duration remaining, @Nullable Duration attemptRemaining, Callee callee,
      boolean violation, @Nullable Duration observedTransit) {
    Duration budget = callee.longLived() ? null : callee.tier().cap();
    OutboundBudget.Limit limitedBy = OutboundBudget.Limit.CALLEE_TIER_CAP;
    if (callee.methodBudget() != null && (budget == null || callee.methodBudget().compareTo(budget) < 0)) {
      budget = callee.methodBudget();
      limitedBy = OutboundBudget.Limit.CALLEE_METHOD_BUDGET;
    }
    Duration reserve = Duration.ZERO;
    if (remaining != null) {
      reserve = reserveFor(remaining, observedTransit);
      Duration afterReserve = minus(remaining, reserve);
      if (budget == null || afterReserve.compareTo(budget) < 0) {
        budget = afterReserve;
        limitedBy = OutboundBudget.Limit.CALLER_REMAINING;
      }
    }
    boolean attemptDecides = attemptRemaining != null && (budget == null || attemptRemaining.compareTo(budget) < 0);
    if (attemptDecides) {
      budget = attemptRemaining;
      limitedBy = OutboundBudget.Limit.CALLER_REMAINING;
    }

    if (violation && rejectTierViolations) {
      return failFast(callee, remaining, reserve, budget, Rejection.Reason.TIER_VIOLATION, true);
    }
    if (budget == null) {
      return new OutboundBudget.SendWithoutDeadline(callee, violation);
    }
    budget = Deadline.saturated(budget);
    if (budget.compareTo(minimumViableBudget) < 0) {
      return attemptDecides // the numbers that decided: the attempt's time, the reserve taken before it
          ? failFast(callee, attemptRemaining, Duration.ZERO, budget, Rejection.Reason.BUDGET_EXHAUSTED, violation)
          : failFast(callee, remaining, reserve, budget, Rejection.Reason.BUDGET_EXHAUSTED, violation);
    }
    return new OutboundBudget.Send(callee, budget, reserve, limitedBy, violation);
  }

  /**
   * Whether a call from {@code caller} to {@code callee} breaks the tier order: the callee ranks above
   * the caller, or ranks the same and same-tier calls are not allowed.
   */
  public boolean isTierViolation(Tier caller, Tier callee) {
    if (callee.isAbove(caller)) {
      return true;
    }
    return !sameTierCallsAllowed && callee.rank() == caller.rank();
  }

  private OutboundBudget.FailFast failFast(
      Callee callee,
      @Nullable Duration remaining,
      Duration reserve,
      @Nullable Duration budget,
      Rejection.Reason reason,
      boolean violation) {
    Duration sent = budget == null ? Duration.ZERO : Deadline.saturated(budget);
    return new OutboundBudget.FailFast(
        callee,
        remaining == null ? sent : Deadline.saturated(remaining),
        reserve,
        sent,
        minimumViableBudget,
        reason,
        violation);
  }

  private static @Nullable Duration minOrNull(@Nullable Duration a, @Nullable Duration b) {
    if (a == null) {
      return b;
    }
    return b == null || a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public String toString() {
    return "BudgetPolicy[reserve " + reserveFloor.toMillis() + "ms + " + reserveFraction
        + " x remaining, minimum viable " + minimumViableBudget.toMillis() + "ms, same-tier calls "
        + (sameTierCallsAllowed ? "allowed" : "violations") + ", tier violations "
        + (rejectTierViolations ? "rejected" : "reported")
        + (adaptiveReserveMin == null || adaptiveReserveMax == null ? ""
            : ", adaptive reserve " + adaptiveReserveMin.toMillis() + "ms to " + adaptiveReserveMax.toMillis() + "ms")
        + "]";
  }

  /** Configures a {@link BudgetPolicy}. */
  public static final class Builder {
    private Duration reserveFloor = Duration.ofMillis(5);
    private double reserveFraction = 0.02;
    private Duration minimumViableBudget = Duration.ofMillis(10);
    private boolean sameTierCallsAllowed = true;
    private boolean rejectTierViolations = false;
    private @Nullable Duration adaptiveReserveMin;
    private @Nullable Duration adaptiveReserveMax;

    private Builder() {}

    /** The fixed part of the reserve (default 5 ms); zero or more. */
    public Builder reserveFloor(Duration floor) {
      requireNonNull(floor, "floor");
      if (floor.isNegative()) {
        throw new IllegalArgumentException("reserveFloor must be zero or more, got " + floor);
      }
      this.reserveFloor = Deadline.saturated(floor);
      return this;
    }

    /** The proportional part of the reserve (default 0.02), between 0 and 0.5. */
    public Builder reserveFraction(double fraction) {
      if (!(fraction >= 0 && fraction <= 0.5)) {
        throw new IllegalArgumentException("reserveFraction must be between 0 and 0.5, got " + fraction);
      }
      this.reserveFraction = fraction;
      return this;
    }

    /** Calls that would get less than this are not sent (default 10 ms); positive. */
    public Builder minimumViableBudget(Duration minimum) {
      requireNonNull(minimum, "minimum");
      if (minimum.isNegative() || minimum.isZero()) {
        throw new IllegalArgumentException("minimumViableBudget must be positive, got " + minimum);
      }
      this.minimumViableBudget = Deadline.saturated(minimum);
      return this;
    }

    /** Whether a hop may call a hop of its own tier (default true: service to service is common). */
    public Builder sameTierCallsAllowed(boolean allowed) {
      this.sameTierCallsAllowed = allowed;
      return this;
    }

    /** Whether tier violations fail the call (default false: they are only reported). */
    public Builder rejectTierViolations(boolean reject) {
      this.rejectTierViolations = reject;
      return this;
    }

    /**
     * Learn the reserve per callee (default off: floor plus fraction for every callee). A client that
     * calls through reqctx's transports measures each call — its own elapsed time minus the elapsed
     * time the callee reports in {@code reqctx-elapsed-us} — and keeps a decaying high percentile of
     * that transit cost per callee; once enough calls are known the reserve for that callee is that
     * percentile, never below {@code min} nor above {@code max}. Until then, and for callees that do not
     * report their elapsed time, the fixed reserve applies.
     *
     * <pre>{@code
     * BudgetPolicy.builder().adaptiveReserve(Duration.ofMillis(1), Duration.ofMillis(20)).build();
     * }</pre>
     */
    public Builder adaptiveReserve(Duration min, Duration max) {
      requireNonNull(min, "min");
      requireNonNull(max, "max");
      if (min.isNegative() || min.compareTo(max) > 0) {
        throw new IllegalArgumentException("adaptiveReserve bounds must satisfy 0 <= min <= max, got min "
            + min.toMillis() + "ms, max " + max.toMillis() + "ms");
      }
      this.adaptiveReserveMin = Deadline.saturated(min);
      this.adaptiveReserveMax = Deadline.saturated(max);
      return this;
    }

    /** A fixed reserve, floor plus fraction, for every callee (the default). */
    public Builder fixedReserve() {
      this.adaptiveReserveMin = null;
      this.adaptiveReserveMax = null;
      return this;
    }

    public BudgetPolicy build() {
      return new BudgetPolicy(this);
    }
  }
}
