package io.reqctx.resilience4j;

import io.github.resilience4j.retry.Retry;
import io.opentelemetry.api.trace.Span;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One guarded call. Each attempt gets its budget from the {@link RetryPlanner}, its permissions from
 * the {@link AttemptPermits} and runs in its own scope ({@link Attempts}); between attempts the
 * downstream's Resilience4j {@link Retry} decides, through its {@link Retry.AsyncContext} (predicates,
 * max attempts, backoff, events, metrics), and the budget rules veto its retries through the interval
 * function of {@link BudgetAwareRetry}. Backoffs wait on the guard's ticker, and stop when the
 * caller's request is cancelled.
 *
 * <p>The asynchronous context serves blocking calls too (run on the caller's thread by its executor):
 * {@code Retry.context()} sleeps in {@code Thread.sleep}, which neither the request's cancellation nor an
 * injected ticker can cut short.
 *
 * <p>Retried attempts never overlap: each starts when the previous one, or its backoff, has ended, so
 * one thread at a time moves the call on. A hedged call ({@link Hedging}) is the exception: while
 * attempts are in flight an alarm on the ticker starts one more after the hedging delay, each under
 * the same budget, permission and retry-token rules; the first answer completes the call once the
 * others are cancelled (their scopes closed), so whoever it wakes finds none of them open. Its
 * attempts are started by one thread at a time (whoever asks while another starts one leaves the start
 * to it), and its state is kept under the call's lock, never held while an attempt starts or is
 * cancelled.
 */
final class GuardedCall<T> {
  final CompletableFuture<T> result = new CompletableFuture<>();
  private final RetryPlanner planner;
  private final AttemptPermits permits;
  private final Supplier<? extends CompletionStage<T>> work;
  private final Executor executor;
  private final RequestCtx ctx;
  private final Retry.@Nullable AsyncContext<T> retryContext;
  private final boolean retrying;
  private volatile int attempts;
  private volatile @Nullable Throwable last;
  private volatile @Nullable CompletableFuture<T> running;
  /** Why the interval function vetoed the retry just decided; read and written by the deciding thread. */
  private @Nullable RetryStoppedException veto;

  /** The hedging delay of a hedged call; null for a call that retries (or makes one attempt). */
  private final @Nullable HedgeDelay hedging;
  /** The span current when the call started: hedging events go there. */
  private final Span callerSpan;
  /** Starts asked for and not yet made; the thread that raises it from 0 makes them all. */
  private final AtomicInteger startsAsked = new AtomicInteger();
  // A hedged call's state, guarded by this.
  private final Map<Integer, CompletableFuture<T>> inFlight = new HashMap<>();
  private Ticker.@Nullable Alarm hedgeAlarm;
  private @Nullable RetryStoppedException noMoreHedges;
  private long lastStartNanos;
  /** An attempt is being started: its future is not yet in {@link #inFlight}. */
  private boolean starting;
  /** The call's outcome is known: no attempt starts any more. */
  private boolean settling;
  /** How the call ends, left by a thread that settled it while an attempt was being started; the starter runs it. */
  private @Nullable Runnable settleAfterStart;

  private GuardedCall(RetryPlanner planner, AttemptPermits permits, Supplier<? extends CompletionStage<T>> work,
      Executor executor, RequestCtx ctx, boolean hedgeable) {
    this.planner = planner;
    this.permits = permits;
    this.work = work;
    this.executor = executor;
    this.ctx = ctx;
    this.hedging = hedgeable && planner.mayHedge(ctx) ? planner.config().hedging() : null;
    this.callerSpan = Span.current();
    Retry retry = planner.config().retry();
    // A hedged call does not also retry: gRPC allows one of the two per method, and hedges already repeat it.
    this.retryContext = retry == null || hedging != null ? null : retry.asyncContext();
    this.retrying = hedging != null || planner.mayRetry(ctx);
    result.whenComplete((value, error) -> {
      CompletableFuture<T> attempt = running;
      if (result.isCancelled() && attempt != null) {
        attempt.cancel(true); // the caller gave up on the result: stop the attempt too
      }
    });
  }

  /**
   * Starts a call of {@code work} under the current ctx; later attempts start on {@code executor}. A
   * {@code hedgeable} call (an asynchronous one) is hedged when the guard hedges and the call may repeat.
   */
  static <T> GuardedCall<T> start(RetryPlanner planner, AttemptPermits permits,
      Supplier<? extends CompletionStage<T>> work, Executor executor, boolean hedgeable) {
    GuardedCall<T> call = new GuardedCall<>(planner, permits, work, executor, RequestCtx.current(), hedgeable);
    RetryBudget retryBudget = planner.config().retryBudget();
    if (retryBudget != null) {
      retryBudget.recordRequest();
    }
    if (call.hedging != null) {
      call.startHedged();
    } else {
      call.next();
    }
    return call;
  }

  private void next() {
    if (result.isDone()) {
      return;
    }
    RetryPlanner.AttemptBudget budget;
    try {
      budget = planner.attemptBudget(ctx, attempts);
      permits.acquire(attempts);
    } catch (RetryStoppedException stop) {
      result.completeExceptionally(RetryPlanner.failure(stop, last));
      return;
    }
    int attempt = ++attempts;
    Ticker ticker = planner.config().ticker();
    long start = ticker.nanoTime();
    CompletableFuture<T> outcome = Attempts.run(ctx, planner.attemptCtx(ctx, attempt, retrying), attempt, budget, work,
        planner.config().downstream());
    running = outcome;
    if (result.isCancelled()) {
      outcome.cancel(true);
    }
    outcome.whenComplete((value, error) -> ended(budget, ticker.nanoTime() - start, value, error));
  }

  private void ended(RetryPlanner.AttemptBudget budget, long nanos, @Nullable T value, @Nullable Throwable error) {
    if (error == null) {
      permits.onSuccess(nanos, value);
      recordLatency(nanos);
      succeeded(value);
      return;
    }
    Throwable failure = Attempts.unwrap(error);
    if (result.isCancelled()) {
      permits.release(); // the caller gave up on the result: says nothing about the downstream's health
      return;
    }
    boolean timedOut = failure instanceof AttemptTimeoutException || planner.config().timeoutOn().test(failure);
    // The caller leaving, or running out of time on a budget the caller had cut short, is the caller's doing.
    boolean calleeOwned = !ctx.isCancelled() && !(timedOut && budget.cutByCaller());
    permits.onFailure(nanos, failure, timedOut, calleeOwned);
    last = failure;
    Retry.AsyncContext<T> decider = retryContext;
    if (decider == null || !(failure instanceof Exception)) {
      if (failure instanceof Exception) {
        RetryPlanner.failure(planner.stopWithoutVeto(ctx, attempts, failure), failure);
      }
      result.completeExceptionally(failure);
      return;
    }
    long backoff = decide(() -> decider.onError(failure));
    if (backoff < 0) {
      if (veto == null) { // Resilience4j itself stopped (its predicate, its max attempts); a veto is noted already
        RetryPlanner.failure(planner.stopWithoutVeto(ctx, attempts, failure), failure);
      }
      result.completeExceptionally(failure);
      return;
    }
    retryAfter(backoff);
  }

  private void succeeded(@Nullable T value) {
    Retry.AsyncContext<T> decider = retryContext;
    if (decider == null) {
      result.complete(value);
      return;
    }
    long backoff = decide(() -> decider.onResult(value));
    if (backoff >= 0) { // the Retry's result predicate asked for another attempt
      retryAfter(backoff);
      return;
    }
    try {
      decider.onComplete(); // throws when the Retry fails after max attempts on results
      result.complete(value);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  private long decide(LongSupplier decision) {
    veto = null;
    return BudgetAwareRetry.deciding(this, decision);
  }

  /**
   * Called by the budget-aware interval function while the Retry decides: {@code interval} when the
   * budget allows the retry, else -1, with the reason noted on {@code failure}.
   */
  long vetoRetry(long interval, @Nullable Throwable failure) {
    RetryStoppedException stop = planner.vetoRetry(ctx, attempts, failure, interval, retrying);
    if (stop == null) {
      return interval;
    }
    veto = stop;
    if (failure != null) {
      failure.addSuppressed(stop); // before the Retry publishes its error event with it
    }
    return -1;
  }

  /** The next attempt after {@code backoffMillis} on the ticker, unless the caller's request is cancelled first. */
  private void retryAfter(long backoffMillis) {
    if (backoffMillis == 0) {
      executor.execute(this::next);
      return;
    }
    AtomicReference<Ticker.@Nullable Alarm> alarm = new AtomicReference<>();
    RequestCtx.CancelRegistration onCancel = ctx.onCancel(cause -> {
      Ticker.Alarm pending = alarm.get();
      if (pending != null) {
        pending.cancel();
      }
      result.completeExceptionally(RetryPlanner.failure(planner.cancelled(ctx, attempts, " during the backoff"), last));
    });
    if (result.isDone()) {
      onCancel.remove();
      return;
    }
    // The alarm runs on the ticker's timer thread: only hand over from there.
    alarm.set(planner.config().ticker().schedule(() -> {
      onCancel.remove();
      executor.execute(this::next);
    }, TimeUnit.MILLISECONDS.toNanos(backoffMillis)));
    result.whenComplete((v, e) -> {
      onCancel.remove();
      alarm.get().cancel();
    });
  }

  /** A successful attempt's latency feeds the guard's percentile hedging delay (when it has one). */
  private void recordLatency(long nanos) {
    HedgeDelay delay = planner.config().hedging();
    if (delay != null) {
      delay.recordLatency(nanos, planner.config().ticker().nanoTime());
    }
  }

  // ---- hedged calls ----

  private void startHedged() {
    // Attempts end by themselves when the request is cancelled (their scopes are its children); the alarm does not.
    RequestCtx.CancelRegistration onCancel = ctx.onCancel(cause -> cancelHedgeAlarm());
    result.whenComplete((value, error) -> {
      onCancel.remove();
      cancelHedgeAlarm();
      stopOthers(); // when the caller cancelled the call; otherwise nothing is left in flight by now
    });
    askToStart();
  }

  /**
   * Asks for one more attempt (the first, or a hedge). Starts are made one at a time: the thread that
   * finds none in progress makes every start asked for until none is left; the others return at once.
   */
  private void askToStart() {
    if (startsAsked.getAndIncrement() != 0) {
      return;
    }
    do {
      startOne();
      settleIfNothingLeft();
    } while (startsAsked.decrementAndGet() != 0);
  }

  /** Starts the next attempt of a hedged call, unless the call is over or no more may start. */
  private void startOne() {
    HedgeDelay delay = hedging;
    int made;
    synchronized (this) {
      made = attempts; // only the starting thread writes attempts
      if (settling || result.isDone() || noMoreHedges != null || made >= delay.hedging().maxAttempts()) {
        return;
      }
      starting = true;
    }
    boolean hedge = made > 0;
    RetryPlanner.AttemptBudget budget;
    try {
      RetryStoppedException veto = hedge ? planner.vetoHedge(ctx, made) : null;
      if (veto != null) {
        throw veto;
      }
      budget = planner.attemptBudget(ctx, made);
      permits.acquire(made);
      RetryStoppedException noToken = hedge ? planner.takeRetryToken(made, "hedging") : null;
      if (noToken != null) {
        permits.release();
        throw noToken;
      }
    } catch (RetryStoppedException stop) {
      synchronized (this) {
        noMoreHedges = stop;
      }
      Runnable settle = endStart();
      if (settle != null) {
        settle.run();
      } else if (hedge && !result.isDone()) {
        planner.config().telemetry().notSent(callerSpan, stop);
      }
      return;
    }
    int attempt = made + 1;
    Ticker ticker = planner.config().ticker();
    long start = ticker.nanoTime();
    long sinceLast;
    synchronized (this) {
      attempts = attempt;
      sinceLast = start - lastStartNanos;
      lastStartNanos = start;
    }
    CompletableFuture<T> outcome = Attempts.run(ctx, planner.attemptCtx(ctx, attempt, true), attempt, budget, work,
        planner.config().downstream());
    if (hedge) {
      planner.config().telemetry().sent(callerSpan, attempt, sinceLast, budget.budget());
    }
    Runnable settle;
    boolean over;
    synchronized (this) { // one step: whoever settles the call from here on finds this attempt in flight
      settle = endStart();
      over = settling || result.isDone();
      if (!over && !outcome.isDone()) {
        inFlight.put(attempt, outcome);
      }
    }
    if (over) {
      outcome.cancel(true);
      if (settle != null) {
        settle.run(); // the call was settled while this attempt started: it ends now that the attempt is stopped
      }
    } else if (!outcome.isDone() && attempt < delay.hedging().maxAttempts()) {
      armHedgeAlarm(delay.delayNanos(start));
    }
    outcome.whenComplete((value, error) -> hedgedEnded(attempt, budget, ticker.nanoTime() - start, value, error));
  }

  /** The starting thread is done starting: what it must now run to settle the call, if it was settled meanwhile. */
  private synchronized @Nullable Runnable endStart() {
    starting = false;
    Runnable settle = settleAfterStart;
    settleAfterStart = null;
    return settle;
  }

  private void armHedgeAlarm(long delayNanos) {
    Ticker.Alarm alarm = planner.config().ticker().schedule(() -> executor.execute(this::askToStart), delayNanos);
    Ticker.Alarm previous;
    synchronized (this) {
      previous = hedgeAlarm;
      hedgeAlarm = alarm;
    }
    if (previous != null) {
      previous.cancel();
    }
    if (result.isDone()) {
      alarm.cancel();
    }
  }

  private void cancelHedgeAlarm() {
    Ticker.Alarm alarm;
    synchronized (this) {
      alarm = hedgeAlarm;
      hedgeAlarm = null;
    }
    if (alarm != null) {
      alarm.cancel();
    }
  }

  private void hedgedEnded(int attempt, RetryPlanner.AttemptBudget budget, long nanos, @Nullable T value,
      @Nullable Throwable error) {
    // The attempt stays in flight until the call has its outcome or the next start is asked for, so that
    // the starting thread never settles the call while an answer is on its way.
    boolean first;
    synchronized (this) {
      first = error == null && !settling && !result.isDone();
      if (first) {
        settling = true; // only the first successful attempt completes the call
      }
    }
    if (error == null && first) {
      permits.onSuccess(nanos, value);
      recordLatency(nanos);
      if (attempt > 1) {
        planner.config().telemetry().won(callerSpan, attempt);
      }
      settleClaimed(() -> result.complete(value));
      return;
    }
    boolean over;
    synchronized (this) {
      over = settling || result.isDone();
    }
    if (error == null || over) {
      permits.release(); // cancelled because the call had its answer, or the caller left: not the downstream's doing
      return;
    }
    Throwable failure = Attempts.unwrap(error);
    boolean timedOut = failure instanceof AttemptTimeoutException || planner.config().timeoutOn().test(failure);
    boolean calleeOwned = !ctx.isCancelled() && !(timedOut && budget.cutByCaller());
    permits.onFailure(nanos, failure, timedOut, calleeOwned);
    last = failure;
    if (ctx.isCancelled()) {
      Throwable cancelled = RetryPlanner.failure(planner.cancelled(ctx, attempt, ""), failure);
      settle(() -> result.completeExceptionally(cancelled));
      return;
    }
    if (!timedOut && !hedging.hedging().nonFatal().test(failure)) {
      Throwable fatal = RetryPlanner.failure(new RetryStoppedException(StopReason.NOT_RETRYABLE, attempt,
          "reqctx: hedged call to " + planner.config().downstream() + " ended by a fatal failure of attempt " + attempt
              + " (Hedging.builder().nonFatal does not accept it); the other attempts were cancelled", null), failure);
      settle(() -> result.completeExceptionally(fatal));
      return;
    }
    cancelHedgeAlarm(); // a non-fatal failure sends the next hedge at once, as gRPC does
    synchronized (this) {
      inFlight.remove(attempt);
    }
    askToStart();
  }

  /**
   * Ends a hedged call that has nothing in flight and can start nothing more: with the last failure and
   * why no more attempts were made. Only the starting thread calls it, after a start was tried.
   */
  private void settleIfNothingLeft() {
    RetryStoppedException why;
    Throwable failure;
    synchronized (this) {
      if (result.isDone() || !inFlight.isEmpty()) {
        return;
      }
      if (noMoreHedges == null && attempts < hedging.hedging().maxAttempts()) {
        return;
      }
      failure = last;
      if (failure == null && noMoreHedges == null) {
        return; // attempts answered (or are ending) without a recorded failure: their outcome settles the call
      }
      why = noMoreHedges != null ? noMoreHedges : new RetryStoppedException(StopReason.ATTEMPTS_EXHAUSTED, attempts,
          "reqctx: gave up on " + planner.config().downstream() + " after " + attempts + " hedged attempts (maxAttempts "
              + hedging.hedging().maxAttempts() + " of its Hedging)", null);
    }
    result.completeExceptionally(RetryPlanner.failure(why, failure));
  }

  /**
   * Ends a hedged call with {@code completion} once no other attempt is left open: the attempts in
   * flight are cancelled first (their scopes close as they are cancelled), so that whoever the call's
   * answer wakes, say the code that closes the request's scope, finds nothing of the call still open.
   * While an attempt is being started the starting thread stops it and then runs {@code completion}.
   */
  private void settle(Runnable completion) {
    synchronized (this) {
      if (settling) {
        return; // another outcome came first
      }
      settling = true;
    }
    settleClaimed(completion);
  }

  /** {@link #settle} for a thread that has already set {@link #settling} under the lock. */
  private void settleClaimed(Runnable completion) {
    synchronized (this) {
      if (starting) {
        settleAfterStart = () -> {
          stopOthers();
          completion.run();
        };
        return;
      }
    }
    stopOthers();
    completion.run();
  }

  /** The call has its outcome: every attempt still in flight is cancelled (its call too). */
  private void stopOthers() {
    List<Map.Entry<Integer, CompletableFuture<T>>> others;
    synchronized (this) {
      others = new ArrayList<>(inFlight.entrySet());
      inFlight.clear();
    }
    boolean answered = !result.isCancelled() && !ctx.isCancelled();
    for (Map.Entry<Integer, CompletableFuture<T>> other : others) {
      if (other.getValue().cancel(true) && answered) {
        planner.config().telemetry().cancelled(callerSpan, other.getKey());
      }
    }
  }
}
