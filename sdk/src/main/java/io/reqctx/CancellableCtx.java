package io.reqctx;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The owner of a request's lifetime: it can cancel, and it must be closed. Everyone else sees the
 * read-only {@link #ctx()}. Cancelling cascades to child scopes; a child's deadline is never later
 * than its parent's; closing a scope cancels it, and children still open are cancelled and reported
 * as leaks.
 *
 * <pre>{@code
 * try (CancellableCtx cacheWork = CancellableCtx.childOf(RequestCtx.current(), Tier.CACHE);
 *     Scope ignored = cacheWork.makeCurrent()) {
 *   return cache.get(key);            // sees at most min(remaining, 800 ms)
 * }
 *
 * // A transport opening an inbound request:
 * try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE)
 *         .budget(Duration.ofMillis(900)).requestId(id).hopCount(2).open()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>All methods are thread-safe. Not for implementation outside reqctx.
 */
public interface CancellableCtx extends AutoCloseable {

  /** Starts a scope with no parent, as a transport does for an inbound request. */
  static Builder newRoot(Tier tier) {
    return new Builder(requireNonNull(tier, "tier"));
  }

  /**
   * A child of {@code parent} with tier {@code tier}, deadline {@code min(parent's, now + tier cap)},
   * cancelled whenever the parent is.
   */
  @MustBeClosed
  static CancellableCtx childOf(RequestCtx parent, Tier tier) {
    requireNonNull(tier, "tier");
    return CancellableCtxImpl.child(requireNonNull(parent, "parent"), tier, tier.cap());
  }

  /** A child of {@code parent} keeping its tier, with deadline {@code min(parent's, now + budget)}. */
  @MustBeClosed
  static CancellableCtx childOf(RequestCtx parent, Duration budget) {
    requireNonNull(parent, "parent");
    return CancellableCtxImpl.child(parent, parent.tier(), requireNonNull(budget, "budget"));
  }

  /** The read-only view of this scope. */
  RequestCtx ctx();

  /** {@code childOf(ctx(), tier)}. */
  @MustBeClosed
  default CancellableCtx child(Tier tier) {
    return childOf(ctx(), tier);
  }

  /** {@code childOf(ctx(), budget)}. */
  @MustBeClosed
  default CancellableCtx child(Duration budget) {
    return childOf(ctx(), budget);
  }

  /** {@code ctx().detached()}: values kept, deadline and cancellation dropped. */
  default RequestCtx detached() {
    return ctx().detached();
  }

  /** Makes {@link #ctx()} current on this thread until the returned scope is closed. */
  @MustBeClosed
  default Scope makeCurrent() {
    return ctx().makeCurrent();
  }

  /**
   * Cancels the request with {@code cause}. The first call wins: later calls do nothing, listeners
   * run once, and every child is cancelled with the same cause.
   */
  void cancel(Throwable cause);

  /** {@code cancel(new CancellationException("cancelled"))}. */
  default void cancel() {
    cancel(new java.util.concurrent.CancellationException("request scope cancelled"));
  }

  /**
   * Ends the scope: cancels it if it is still live, and cancels and reports as leaks the children
   * still open. Idempotent.
   */
  @Override
  void close();

  /**
   * Sets up an inbound request's root scope. Unset fields default to: no deadline, a generated request
   * id, hop 0, attempt 1, the span context current at {@link #open()}, the system ticker.
   */
  final class Builder {
    final Tier tier;
    @Nullable Deadline deadline;
    @Nullable String requestId;
    int hopCount;
    int inboundAttempt = 1;
    @Nullable SpanContext spanContext;
    Ticker ticker = Ticker.system();
    @Nullable CtxObserver observer;
    final List<Object> values = new ArrayList<>();

    Builder(Tier tier) {
      this.tier = tier;
    }

    /** The deadline; its ticker becomes the scope's ticker. */
    public Builder deadline(Deadline deadline) {
      this.deadline = requireNonNull(deadline, "deadline");
      this.ticker = deadline.ticker();
      return this;
    }

    /** The deadline as {@code budget} from now on the builder's ticker. */
    public Builder budget(Duration budget) {
      return deadline(Deadline.after(requireNonNull(budget, "budget"), ticker));
    }

    /**
     * The ticker for deadlines of this scope and its children; set it before {@link #budget}.
     *
     * @throws IllegalStateException when a deadline on another ticker is already set
     */
    public Builder ticker(Ticker ticker) {
      requireNonNull(ticker, "ticker");
      if (deadline != null && deadline.ticker() != ticker) {
        throw new IllegalStateException(
            "the deadline is on " + deadline.ticker() + "; set the ticker before the deadline or budget, not after");
      }
      this.ticker = ticker;
      return this;
    }

    public Builder requestId(String requestId) {
      this.requestId = requireNonNull(requestId, "requestId");
      return this;
    }

    /** Hops the request made before this process, 0 to {@value io.reqctx.internal.wire.HopCount#MAX_HOPS}. */
    public Builder hopCount(int hopCount) {
      if (hopCount < 0 || hopCount > io.reqctx.internal.wire.HopCount.MAX_HOPS) {
        throw new IllegalArgumentException(
            "hopCount must be between 0 and " + io.reqctx.internal.wire.HopCount.MAX_HOPS + ", got " + hopCount);
      }
      this.hopCount = hopCount;
      return this;
    }

    /** The attempt number the request arrived with ({@code reqctx-attempt}), 1 or more. */
    public Builder inboundAttempt(int attempt) {
      if (attempt < 1) {
        throw new IllegalArgumentException("attempt must be 1 or more, got " + attempt);
      }
      this.inboundAttempt = attempt;
      return this;
    }

    public Builder spanContext(SpanContext spanContext) {
      this.spanContext = requireNonNull(spanContext, "spanContext");
      return this;
    }

    public <T> Builder value(CtxKey<T> key, T value) {
      values.add(requireNonNull(key, "key"));
      values.add(requireNonNull(value, "value"));
      return this;
    }

    /**
     * An observer of this scope and of every child scope opened under it, on top of the observers
     * registered for the whole JVM ({@link CtxObserver#register}): how a transport records the metrics
     * of its requests through its own OpenTelemetry. It also hears of leaks of the tree's scopes,
     * attaches and tasks.
     */
    public Builder observer(CtxObserver observer) {
      this.observer = requireNonNull(observer, "observer");
      return this;
    }

    /** Opens the scope; its deadline alarm is armed now. */
    @MustBeClosed
    public CancellableCtx open() {
      return CancellableCtxImpl.root(this);
    }
  }
}
