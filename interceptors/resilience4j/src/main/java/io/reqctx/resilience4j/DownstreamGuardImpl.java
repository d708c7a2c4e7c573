package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** {@link DownstreamGuard}: a {@link GuardedCall} per call, with the fallback around it. */
final class DownstreamGuardImpl implements DownstreamGuard {
  private final RetryPlanner planner;
  private final AttemptPermits permits;

  DownstreamGuardImpl(GuardConfig config) {
    this.planner = new RetryPlanner(config);
    this.permits = new AttemptPermits(config);
  }

  private GuardConfig config() {
    return planner.config();
  }

  @Override
  public String downstream() {
    return config().downstream();
  }

  @Override
  public Optional<Retry> retry() {
    return Optional.ofNullable(config().retry());
  }

  @Override
  public Optional<TimeLimiter> timeLimiter() {
    return Optional.ofNullable(config().timeLimiter());
  }

  @Override
  public Optional<CircuitBreaker> circuitBreaker() {
    return Optional.ofNullable(config().circuitBreaker());
  }

  @Override
  public Optional<Bulkhead> bulkhead() {
    return Optional.ofNullable(config().bulkhead());
  }

  @Override
  public Optional<Hedging> hedging() {
    HedgeDelay delay = config().hedging();
    return delay == null ? Optional.empty() : Optional.of(delay.hedging());
  }

  @Override
  public boolean idempotent() {
    return config().idempotent();
  }

  @Override
  public DownstreamGuard withHedging(Hedging hedging) {
    return new DownstreamGuardImpl(config().withHedging(requireNonNull(hedging, "hedging")));
  }

  @Override
  public DownstreamGuard withIdempotent(boolean idempotent) {
    return idempotent == config().idempotent() ? this : new DownstreamGuardImpl(config().withIdempotent(idempotent));
  }

  @Override
  public DownstreamGuard withRetryOn(Predicate<Throwable> retryOn) {
    return new DownstreamGuardImpl(config().withRetryOn(requireNonNull(retryOn, "retryOn")));
  }

  @Override
  public DownstreamGuard withTimeoutOn(Predicate<Throwable> timeoutOn) {
    requireNonNull(timeoutOn, "timeoutOn");
    return new DownstreamGuardImpl(config().withTimeoutOn(config().timeoutOn().or(timeoutOn)));
  }

  @Override
  public <T> T call(Callable<T> call) throws Exception {
    requireNonNull(call, "call");
    CallerRuns thisThread = new CallerRuns();
    CompletableFuture<T> result = GuardedCall.start(planner, permits, Attempts.blocking(call), thisThread, false).result;
    thisThread.runUntil(result);
    try {
      return result.get();
    } catch (ExecutionException e) {
      Throwable failure = e.getCause();
      if (failure instanceof Exception exception) {
        throw exception;
      }
      if (failure instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  @Override
  public <T> GuardedResult<T> call(Callable<T> call, Fallback<T> fallback) throws Exception {
    requireNonNull(fallback, "fallback");
    try {
      return GuardedResult.fresh(call(call));
    } catch (Exception e) {
      StopReason reason = reasonOf(e);
      if (reason == StopReason.CANCELLED) {
        throw e;
      }
      return GuardedResult.degraded(fallback.recover(reason, e), reason, e);
    }
  }

  @Override
  public <T> CompletionStage<T> callAsync(Supplier<? extends CompletionStage<T>> call) {
    return GuardedCall.start(planner, permits, requireNonNull(call, "call"), config().executor(), true).result;
  }

  @Override
  public <T> CompletionStage<GuardedResult<T>> callAsync(
      Supplier<? extends CompletionStage<T>> call, Fallback<T> fallback) {
    requireNonNull(fallback, "fallback");
    CompletableFuture<T> attempts = GuardedCall.start(planner, permits, requireNonNull(call, "call"),
        config().executor(), true).result;
    CompletableFuture<GuardedResult<T>> result = attempts.handle((value, error) -> {
      if (error == null) {
        return GuardedResult.fresh(value);
      }
      Throwable failure = Attempts.unwrap(error);
      StopReason reason = reasonOf(failure);
      if (reason == StopReason.CANCELLED) {
        throw new CompletionException(failure);
      }
      try {
        return GuardedResult.degraded(fallback.recover(reason, failure), reason, failure);
      } catch (Exception fallbackFailed) {
        throw new CompletionException(fallbackFailed);
      }
    });
    result.whenComplete((v, e) -> {
      if (result.isCancelled()) {
        attempts.cancel(true);
      }
    });
    return result;
  }

  private static StopReason reasonOf(Throwable failure) {
    if (failure instanceof CancellationException) {
      return StopReason.CANCELLED;
    }
    return RetryStoppedException.of(failure).map(RetryStoppedException::reason).orElse(StopReason.NOT_RETRYABLE);
  }

  @Override
  public String toString() {
    return "DownstreamGuard[" + config() + "]";
  }

  /** Runs a blocking call's steps (retries after their backoff) on the thread that waits for it. */
  private static final class CallerRuns implements Executor {
    private static final Runnable WAKE_UP = () -> {};
    private final BlockingQueue<Runnable> steps = new LinkedBlockingQueue<>();

    @Override
    public void execute(Runnable step) {
      steps.add(step);
    }

    void runUntil(CompletableFuture<?> done) throws InterruptedException {
      done.whenComplete((v, e) -> steps.add(WAKE_UP));
      try {
        while (!done.isDone()) {
          steps.take().run();
        }
      } catch (InterruptedException e) {
        done.cancel(true); // the caller was interrupted while the call waited for a backoff: stop it
        throw e;
      }
    }
  }
}
