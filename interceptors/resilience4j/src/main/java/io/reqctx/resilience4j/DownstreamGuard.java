package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.DeadlineExceededException;
import io.reqctx.Ticker;
import io.reqctx.internal.telemetry.ConfiguredOpenTelemetry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs calls to one downstream through that downstream's Resilience4j instances — {@link Retry},
 * {@link TimeLimiter}, {@link CircuitBreaker}, {@link Bulkhead}, typically taken from the application's
 * registries — with the request's deadline budget applied to every attempt:
 *
 * <ul>
 *   <li>each attempt runs as {@code ctx.withOutgoingAttempt(n)} (sent as {@code reqctx-attempt}) in a
 *       child scope whose budget is {@code min(TimeLimiter timeout, remaining - reserve)}; when that
 *       budget ends the scope is cancelled, which stops the call itself (not only a future), and the
 *       attempt fails with an {@link AttemptTimeoutException};
 *   <li>an attempt that cannot get the policy's minimum viable budget is not started;
 *   <li>the {@code Retry} decides on retries (its predicates, max attempts, backoff, events, metrics),
 *       and the budget vetoes a retry through its interval function (see {@link BudgetAwareRetry})
 *       when the backoff plus the next attempt cannot fit, when the {@link AmplificationRule} forbids
 *       retries at this hop, or when the {@link RetryBudget} is spent;
 *   <li>the breaker and the bulkhead are asked before every attempt and told its outcome; the breaker
 *       records only failures the downstream owns: not the caller leaving, and not the timeout of an
 *       attempt whose budget the caller's remaining time had cut below its cap;
 *   <li>an optional {@link Fallback} answers instead, and its result is marked degraded.
 * </ul>
 *
 * <pre>{@code
 * RetryRegistry retries = RetryRegistry.of(BudgetAwareRetry.config(RetryConfig.custom().maxAttempts(3).build()));
 * DownstreamGuard cache = DownstreamGuard.builder("cache")
 *     .retry(retries.retry("cache"))
 *     .timeLimiter(timeLimiters.timeLimiter("cache"))          // its timeout caps each attempt
 *     .circuitBreaker(breakers.circuitBreaker("cache"))
 *     .retryBudget(RetryBudget.ofDefaults())
 *     .build();
 *
 * GuardedResult<Item> item = cache.call(() -> cacheStub.get(key), (reason, failure) -> staleCopy(key));
 * if (item.degraded()) response.header("x-degraded", item.degradedReason().name());
 * }</pre>
 *
 * <p>Thread-safe; build one per downstream and share it. Every instance left out is simply not applied:
 * without a {@code Retry} a call makes one attempt, without a {@code TimeLimiter} the remaining budget
 * alone bounds an attempt.
 */
public interface DownstreamGuard {

  /** Starts a guard for {@code downstream} (the name in messages, and of a breaker built from a config). */
  static Builder builder(String downstream) {
    return new Builder(requireNonNull(downstream, "downstream"));
  }

  /** The downstream's name. */
  String downstream();

  /** The retry: its events and metrics include every retry this guard made or the budget vetoed. */
  Optional<Retry> retry();

  /** The time limiter whose timeout caps each attempt; it publishes each attempt's outcome. */
  Optional<TimeLimiter> timeLimiter();

  /** The downstream's breaker: its events and metrics are Resilience4j's. */
  Optional<CircuitBreaker> circuitBreaker();

  /** The bulkhead each attempt takes a permission from. */
  Optional<Bulkhead> bulkhead();

  /** How idempotent calls are hedged, if they are ({@link Builder#hedging}). */
  Optional<Hedging> hedging();

  /** Whether calls through this guard may be repeated without harm: only such calls are hedged. */
  boolean idempotent();

  /**
   * A guard sharing this one's instances and retry budget (one with default settings on this guard's
   * ticker if it had none: hedges always spend retry tokens) that hedges idempotent calls with {@code
   * hedging}; its delay's recent latencies are its own. Transports and {@code FleetGuards} use it per method.
   */
  DownstreamGuard withHedging(Hedging hedging);

  /** A guard sharing this one's instances that takes its calls to be idempotent, or not. */
  DownstreamGuard withIdempotent(boolean idempotent);

  /**
   * A guard sharing this one's instances and retry budget that retries only the failures both its
   * {@code Retry} and {@code retryOn} accept (transports use it to retry by status code; an {@link
   * AttemptTimeoutException} passes {@code retryOn} always).
   */
  DownstreamGuard withRetryOn(Predicate<Throwable> retryOn);

  /**
   * A guard sharing this one's instances that also takes the failures {@code timeoutOn} accepts for
   * timeouts of the attempt (transports use it for their own deadline errors, which may arrive before
   * the attempt's budget ends because the transport keeps back a reserve).
   */
  DownstreamGuard withTimeoutOn(Predicate<Throwable> timeoutOn);

  /** Runs {@code call} on this thread; failures propagate (see {@link RetryStoppedException#of}). */
  <T> T call(Callable<T> call) throws Exception;

  /** Runs {@code call} on this thread; a failure (not a cancellation) is replaced by {@code fallback}'s value. */
  <T> GuardedResult<T> call(Callable<T> call, Fallback<T> fallback) throws Exception;

  /**
   * Starts {@code call} (with the attempt's ctx current) until a stage it returns succeeds or the
   * attempts end. Cancelling the returned future stops the running attempts. With {@link #hedging()} and
   * {@link #idempotent()}, the call is hedged: more attempts start while earlier ones are in flight,
   * and the first answer wins ({@link Hedging}); blocking {@link #call} is never hedged.
   */
  <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> call);

  /**
   * Starts {@code call}; a failure (not a cancellation) is replaced by {@code fallback}'s value. Hedged
   * like {@link #callAsync(Supplier)}.
   */
  <T> CompletionStage<GuardedResult<T>> callAsync(Supplier<? extends CompletionStage<T>> call, Fallback<T> fallback);

  /** Configures a {@link DownstreamGuard}. Not thread-safe. */
  final class Builder {
    private final String downstream;
    private @Nullable Retry retry;
    private @Nullable TimeLimiter timeLimiter;
    private @Nullable CircuitBreaker breaker;
    private @Nullable CircuitBreakerConfig breakerConfig;
    private @Nullable Bulkhead bulkhead;
    private BudgetPolicy policy = BudgetPolicy.defaults();
    private @Nullable Callee callee;
    private AmplificationRule amplificationRule = AmplificationRule.originOnly();
    private @Nullable RetryBudget retryBudget;
    private @Nullable Duration minimumRetryBudget;
    private Ticker ticker = Ticker.system();
    private Executor executor = ForkJoinPool.commonPool();
    private Predicate<Throwable> timeoutOn = Builder::timeoutInCauses;
    private @Nullable Hedging hedging;
    private boolean idempotent;
    private @Nullable OpenTelemetry openTelemetry;

    private Builder(String downstream) {
      this.downstream = downstream;
    }

    /**
     * The retry (default none: one attempt per call). Its config must be budget-aware: made with
     * {@link BudgetAwareRetry#config} or {@link BudgetAwareRetry#of}, e.g. for a whole registry
     * {@code RetryRegistry.of(BudgetAwareRetry.config(defaults))}.
     *
     * @throws IllegalArgumentException when it is not
     */
    public Builder retry(Retry retry) {
      requireNonNull(retry, "retry");
      if (!BudgetAwareRetry.isBudgetAware(retry)) {
        throw new IllegalArgumentException("the Retry '" + retry.getName() + "' decides its backoffs without the "
            + "request's budget, so its retries could outlive the deadline and multiply down a chain: build its "
            + "config with BudgetAwareRetry.config(...) (for a registry: RetryRegistry.of(BudgetAwareRetry.config("
            + "defaults))), or pass the RetryConfig to DownstreamGuard.builder().retry(RetryConfig)");
      }
      this.retry = retry;
      return this;
    }

    /** A retry named after the downstream, built from {@code config} made budget-aware. */
    public Builder retry(RetryConfig config) {
      this.retry = BudgetAwareRetry.of(downstream, requireNonNull(config, "config"));
      return this;
    }

    /**
     * The time limiter (default none). Its timeout caps each attempt's budget; each attempt's outcome
     * is published to it (an attempt that ran out of time as a timeout event). The attempt is always
     * cancelled when its budget ends, whatever the limiter's {@code cancelRunningFuture}.
     */
    public Builder timeLimiter(TimeLimiter timeLimiter) {
      this.timeLimiter = requireNonNull(timeLimiter, "timeLimiter");
      return this;
    }

    /**
     * A breaker named after the downstream, built from {@code config}, whose open-state wait and
     * sliding window run on this builder's {@link #ticker} (default: no breaker).
     */
    public Builder circuitBreaker(CircuitBreakerConfig config) {
      this.breakerConfig = requireNonNull(config, "config");
      this.breaker = null;
      return this;
    }

    /** A breaker made elsewhere (e.g. taken from a {@code CircuitBreakerRegistry}), used as it is. */
    public Builder circuitBreaker(CircuitBreaker breaker) {
      this.breaker = requireNonNull(breaker, "breaker");
      this.breakerConfig = null;
      return this;
    }

    /**
     * The (semaphore) bulkhead each attempt takes a permission from (default none). A full bulkhead
     * stops the call with {@link StopReason#BULKHEAD_FULL}. Give it {@code maxWaitDuration} 0 for
     * asynchronous calls: a permission is taken on the thread that starts the attempt.
     */
    public Builder bulkhead(Bulkhead bulkhead) {
      this.bulkhead = requireNonNull(bulkhead, "bulkhead");
      return this;
    }

    /** The budget arithmetic (default {@link BudgetPolicy#defaults()}). */
    public Builder policy(BudgetPolicy policy) {
      this.policy = requireNonNull(policy, "policy");
      return this;
    }

    /** The callee, so that its tier cap and method budget bound each attempt too (default unknown). */
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

    /**
     * The least budget a retry must be able to get, after its backoff, to be started (default: the
     * time limiter's timeout, else the policy's minimum viable budget).
     */
    public Builder minimumRetryBudget(Duration minimum) {
      requireNonNull(minimum, "minimum");
      if (minimum.isNegative()) {
        throw new IllegalArgumentException("minimumRetryBudget must be zero or more, got " + minimum);
      }
      this.minimumRetryBudget = minimum;
      return this;
    }

    /**
     * Which failures of an attempt are timeouts besides an {@link AttemptTimeoutException} (default:
     * a {@link TimeoutException} or reqctx's {@link DeadlineExceededException} in the cause chain). A
     * timeout of an attempt whose budget the caller had cut short is not recorded by the breaker.
     */
    public Builder timeoutOn(Predicate<Throwable> timeoutOn) {
      this.timeoutOn = requireNonNull(timeoutOn, "timeoutOn");
      return this;
    }

    /**
     * Hedges idempotent asynchronous calls (default: none). Needs a retry budget: without {@link
     * #retryBudget} the guard gets {@link RetryBudget#ofDefaults()}'s settings on its {@link #ticker}, so
     * hedges add at most 20 % to the load, plus 10 per second.
     */
    public Builder hedging(Hedging hedging) {
      this.hedging = requireNonNull(hedging, "hedging");
      return this;
    }

    /**
     * Whether the calls through this guard may be repeated without harm (default false). Only such calls
     * are hedged; the transports also take a gRPC method descriptor's {@code idempotent}/{@code safe}
     * flags and Armeria's idempotent HTTP methods.
     */
    public Builder idempotent(boolean idempotent) {
      this.idempotent = idempotent;
      return this;
    }

    /**
     * Where hedging metrics and span events are recorded (default: {@code GlobalOpenTelemetry},
     * resolved at each use, never when the guard is built).
     */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /** The time source for backoffs and a breaker built from a config (default {@link Ticker#system()}). */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** Where asynchronous retries start after their backoff (default the common pool). */
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    public DownstreamGuard build() {
      CircuitBreaker cb = breaker;
      if (cb == null && breakerConfig != null) {
        cb = CircuitBreaker.of(downstream,
            CircuitBreakerConfig.from(breakerConfig).clock(new TickerClock(ticker)).build());
      }
      GuardConfig config = new GuardConfig(downstream, retry, timeLimiter, cb, bulkhead, policy, callee,
          amplificationRule, retryBudget, minimumRetryBudget, ticker, executor, failure -> true, timeoutOn, null,
          idempotent, new HedgeTelemetry(ConfiguredOpenTelemetry.of(openTelemetry), downstream));
      return new DownstreamGuardImpl(hedging == null ? config : config.withHedging(hedging));
    }

    private static boolean timeoutInCauses(Throwable failure) {
      Throwable t = failure;
      for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) { // bounded: cause chains may loop
        if (t instanceof TimeoutException || t instanceof DeadlineExceededException) {
          return true;
        }
      }
      return false;
    }
  }
}
