package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.core.IntervalFunction;
import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.Ticker;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link BudgetRetry} retries one downstream. Immutable and thread-safe (the {@link RetryBudget}
 * it holds is shared state by design: one per downstream).
 *
 * <ul>
 *   <li>Each attempt's budget is {@code min(perAttemptCap, remaining - reserve)}, the reserve coming
 *       from {@link BudgetPolicy#reserveFor}; with a {@link #callee()} it is {@code min(perAttemptCap,
 *       BudgetPolicy.outbound(...))}. Below the policy's minimum viable budget the attempt is not made.
 *   <li>A retry (and its backoff) is started only when, after the backoff, the attempt can still get
 *       {@link #minimumRetryBudget()}: by default the per-attempt cap, because a retry with less time
 *       than the attempt that just failed is likely to fail the same way.
 * </ul>
 *
 * <pre>{@code
 * BudgetRetryConfig config = BudgetRetryConfig.builder("cache")
 *     .maxAttempts(3)
 *     .perAttemptCap(Duration.ofMillis(300))
 *     .backoff(IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(20), 2.0, 0.5))
 *     .retryOn(e -> e instanceof IOException)
 *     .retryBudget(RetryBudget.ofDefaults())
 *     .build();
 * }</pre>
 */
public final class BudgetRetryConfig {
  private final String downstream;
  private final int maxAttempts;
  private final @Nullable Duration perAttemptCap;
  private final @Nullable Duration minimumRetryBudget;
  private final IntervalFunction backoff;
  private final Predicate<Throwable> retryOn;
  private final BudgetPolicy policy;
  private final @Nullable Callee callee;
  private final AmplificationRule amplificationRule;
  private final @Nullable RetryBudget retryBudget;
  private final Ticker ticker;
  private final Executor executor;

  private BudgetRetryConfig(Builder b) {
    this.downstream = b.downstream;
    this.maxAttempts = b.maxAttempts;
    this.perAttemptCap = b.perAttemptCap;
    this.minimumRetryBudget = b.minimumRetryBudget;
    this.backoff = b.backoff;
    this.retryOn = b.retryOn;
    this.policy = b.policy;
    this.callee = b.callee;
    this.amplificationRule = b.amplificationRule;
    this.retryBudget = b.retryBudget;
    this.ticker = b.ticker;
    this.executor = b.executor;
  }

  /** Starts a configuration for calls to {@code downstream} (a name for messages and metrics). */
  public static Builder builder(String downstream) {
    return new Builder(requireNonNull(downstream, "downstream"));
  }

  /** The downstream's name. */
  public String downstream() {
    return downstream;
  }

  /** The most attempts per call, the first included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The cap of each attempt's budget, or null (the remaining budget alone decides). */
  public @Nullable Duration perAttemptCap() {
    return perAttemptCap;
  }

  /**
   * The least budget a retry must be able to get, after its backoff, to be started: the configured
   * value, else the per-attempt cap, else the policy's minimum viable budget.
   */
  public Duration minimumRetryBudget() {
    if (minimumRetryBudget != null) {
      return minimumRetryBudget;
    }
    return perAttemptCap != null ? perAttemptCap : policy.minimumViableBudget();
  }

  /** The wait before retry {@code n} (n = 1 for the first retry), in milliseconds. */
  public IntervalFunction backoff() {
    return backoff;
  }

  /** Which failures are retried (an {@link AttemptTimeoutException} always is). */
  public Predicate<Throwable> retryOn() {
    return retryOn;
  }

  /** The budget arithmetic. */
  public BudgetPolicy policy() {
    return policy;
  }

  /** The callee, when known: its tier cap and method budget bound each attempt too. */
  public @Nullable Callee callee() {
    return callee;
  }

  /** Whether this hop may retry at all. */
  public AmplificationRule amplificationRule() {
    return amplificationRule;
  }

  /** The downstream's retry budget, or null for none. */
  public @Nullable RetryBudget retryBudget() {
    return retryBudget;
  }

  /** The time source for backoffs. */
  public Ticker ticker() {
    return ticker;
  }

  /** Where asynchronous retries start after their backoff. */
  public Executor executor() {
    return executor;
  }

  @Override
  public String toString() {
    return "BudgetRetryConfig[" + downstream + ", " + maxAttempts + " attempts, per-attempt cap "
        + (perAttemptCap == null ? "none" : perAttemptCap.toMillis() + "ms") + ", " + amplificationRule
        + (retryBudget == null ? "" : ", " + retryBudget) + "]";
  }

  /** Configures a {@link BudgetRetryConfig}. Not thread-safe. */
  public static final class Builder {
    private final String downstream;
    private int maxAttempts = 3;
    private @Nullable Duration perAttemptCap;
    private @Nullable Duration minimumRetryBudget;
    private IntervalFunction backoff =
        IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(25), 2.0, 0.5, Duration.ofSeconds(1));
    private Predicate<Throwable> retryOn = e -> e instanceof Exception;
    private BudgetPolicy policy = BudgetPolicy.defaults();
    private @Nullable Callee callee;
    private AmplificationRule amplificationRule = AmplificationRule.originOnly();
    private @Nullable RetryBudget retryBudget;
    private Ticker ticker = Ticker.system();
    private Executor executor = ForkJoinPool.commonPool();

    private Builder(String downstream) {
      this.downstream = downstream;
    }

    /** The most attempts per call, the first included (default 3); 1 disables retries. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be 1 or more, got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The cap of each attempt's budget (default none); positive. */
    public Builder perAttemptCap(Duration cap) {
      requireNonNull(cap, "cap");
      if (cap.isNegative() || cap.isZero()) {
        throw new IllegalArgumentException("perAttemptCap must be positive, got " + cap);
      }
      this.perAttemptCap = cap;
      return this;
    }

    /** The least budget a retry must be able to get to be started (default: the per-attempt cap). */
    public Builder minimumRetryBudget(Duration minimum) {
      requireNonNull(minimum, "minimum");
      if (minimum.isNegative()) {
        throw new IllegalArgumentException("minimumRetryBudget must be zero or more, got " + minimum);
      }
      this.minimumRetryBudget = minimum;
      return this;
    }

    /**
     * The wait before each retry (default exponential from 25 ms, x2, jitter 0.5, at most 1 s). Any
     * Resilience4j {@link IntervalFunction} works; {@code n -> 0L} retries at once.
     */
    public Builder backoff(IntervalFunction backoff) {
      this.backoff = requireNonNull(backoff, "backoff");
      return this;
    }

    /** Which failures are retried (default every {@link Exception}). */
    public Builder retryOn(Predicate<Throwable> retryOn) {
      this.retryOn = requireNonNull(retryOn, "retryOn");
      return this;
    }

    /** The budget arithmetic (default {@link BudgetPolicy#defaults()}). */
    public Builder policy(BudgetPolicy policy) {
      this.policy = requireNonNull(policy, "policy");
      return this;
    }

    /** The callee, so that its tier cap and method budget bound each attempt (default unknown). */
    public Builder callee(Callee callee) {
      this.callee = requireNonNull(callee, "callee");
      return this;
    }

    /** Whether this hop may retry (default {@link AmplificationRule#originOnly()}). */
    public Builder amplificationRule(AmplificationRule rule) {
      this.amplificationRule = requireNonNull(rule, "rule");
      return this;
    }

    /** The downstream's retry budget (default none); share one instance per downstream. */
    public Builder retryBudget(RetryBudget retryBudget) {
      this.retryBudget = requireNonNull(retryBudget, "retryBudget");
      return this;
    }

    /** The time source for backoffs (default {@link Ticker#system()}); deadlines use the ctx's own. */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** Where asynchronous retries start after their backoff (default the common pool). */
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    public BudgetRetryConfig build() {
      return new BudgetRetryConfig(this);
    }
  }
}
