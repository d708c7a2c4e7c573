package io.reqctx;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.trace.Span;
import io.reqctx.internal.wire.RequestId;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A node of the cancellation tree: owns its ctx's cancellation, its deadline alarm and its children. */
final class CancellableCtxImpl implements CancellableCtx, Cancellation {
  private static final Logger log = LoggerFactory.getLogger(CancellableCtx.class);
  private static final VarHandle CAUSE;
  private static final VarHandle CLOSED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      CAUSE = lookup.findVarHandle(CancellableCtxImpl.class, "cause", Throwable.class);
      CLOSED = lookup.findVarHandle(CancellableCtxImpl.class, "closed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final @Nullable CancellableCtxImpl parent;
  private final @Nullable CtxObserver observer;
  private final Ticker ticker;
  private final CtxImpl ctx;
  private final @Nullable Throwable creationSite;
  private final LeakDetection.@Nullable Watch watch;
  private final long openedAtNanos;
  // Plain volatile fields updated through VarHandles: an atomic wrapper object each would add 32 bytes
  // to every scope.
  private volatile @Nullable Throwable cause;
  private volatile boolean closed;
  private volatile long cancelledAtNanos;
  private @Nullable ScopeFlightEvent flight;

  // Guarded by this; created on the first registration. Once cancelled (cause set) nothing is added:
  // later registrations run at once and later children start cancelled.
  private @Nullable List<Listener> listeners;
  private @Nullable Set<CancellableCtxImpl> openChildren;
  private Ticker.@Nullable Alarm alarm;

  private CancellableCtxImpl(
      @Nullable CancellableCtxImpl parent,
      @Nullable CtxObserver observer,
      Ticker ticker,
      String requestId,
      @Nullable Deadline deadline,
      Tier tier,
      int hopCount,
      int attempt,
      int outgoingAttempt,
      SpanContext spanContext,
      Values values) {
    this.parent = parent;
    this.observer = observer;
    this.ticker = ticker;
    this.ctx = new CtxImpl(
        new CtxImpl.Request(requestId, deadline, tier, hopCount, attempt, outgoingAttempt, spanContext, this), values);
    this.openedAtNanos = ticker.nanoTime();
    this.creationSite = LeakDetection.captureSite("request scope opened here");
    this.watch = creationSite == null
        ? null
        : LeakDetection.watch(this, LeakReport.Kind.CTX_NEVER_CLOSED, describe(), creationSite, observer);
  }

  /** What leak reports and flight events say about this scope; never a value. */
  String describe() {
    return "request " + ctx.requestId() + ", tier " + ctx.tier().name() + ", hop " + ctx.hopCount();
  }

  static CancellableCtx root(CancellableCtx.Builder b) {
    SpanContext span = b.spanContext != null ? b.spanContext : Span.fromContext(Context.current()).getSpanContext();
    String requestId = b.requestId != null ? b.requestId : RequestId.generate();
    CancellableCtxImpl scope =
        new CancellableCtxImpl(null, b.observer, b.ticker, requestId, b.deadline, b.tier, b.hopCount, b.inboundAttempt, 1, span,
            CtxImpl.valuesOf(b.values));
    scope.announce();
    scope.armDeadline();
    return scope;
  }

  static CancellableCtx child(RequestCtx parentCtx, Tier tier, Duration budget) {
    if (!(parentCtx instanceof CtxImpl p)) {
      throw new IllegalArgumentException("parent must be a RequestCtx created by reqctx, got " + parentCtx.getClass());
    }
    CancellableCtxImpl parentScope = p.cancellation() instanceof CancellableCtxImpl s ? s : null;
    Ticker ticker = parentScope != null ? parentScope.ticker : tickerOf(p);
    Deadline own = Deadline.after(budget, ticker);
    Deadline parentDeadline = p.deadlineOrNull();
    Deadline deadline = parentDeadline == null ? own : parentDeadline.min(own);
    SpanContext current = Span.fromContext(Context.current()).getSpanContext();
    CancellableCtxImpl child =
        new CancellableCtxImpl(parentScope, parentScope != null ? parentScope.observer : null, ticker, p.requestId(), deadline, tier, p.hopCount(), p.inboundAttempt(), p.outgoingAttempt(),
            current.isValid() ? current : p.spanContext(), p.values());
    child.announce(); // before adopting: observers hear of the open before any cancel
    if (parentScope != null && !parentScope.adopt(child)) {
      child.cancelInternal(requireNonNull(parentScope.cause()), true);
    }
    child.armDeadline();
    return child;
  }

  private static Ticker tickerOf(CtxImpl ctx) {
    Deadline d = ctx.deadlineOrNull();
    return d != null ? d.ticker() : Ticker.system();
  }

  private void announce() {
    flight = FlightEvents.opened(this, ctx.deadlineOrNull());
    CtxObservers.opened(ctx, observer);
  }

  private void armDeadline() {
    Deadline deadline = ctx.deadlineOrNull();
    if (deadline == null || cause != null) {
      return;
    }
    long remaining = deadline.remainingNanos();
    if (remaining <= 0) {
      deadlinePassed();
      return;
    }
    Ticker.Alarm armed = ticker.schedule(this::deadlinePassed, remaining);
    synchronized (this) {
      if (cause == null) {
        alarm = armed;
        return;
      }
    }
    armed.cancel(); // cancelled while arming
  }

  private void deadlinePassed() {
    Deadline deadline = requireNonNull(ctx.deadlineOrNull());
    long budgetAtOpen = deadline.remainingNanos() + (ticker.nanoTime() - openedAtNanos);
    cancel(new DeadlineExceededException(Duration.ofNanos(Math.max(0, budgetAtOpen)), ctx.tier()));
  }

  /** Registers an open child; false when this scope is already cancelled. */
  private synchronized boolean adopt(CancellableCtxImpl child) {
    if (cause != null) {
      return false;
    }
    if (openChildren == null) {
      openChildren = Collections.newSetFromMap(new IdentityHashMap<>());
    }
    openChildren.add(child);
    return true;
  }

  private synchronized void release(CancellableCtxImpl child) {
    if (openChildren != null) {
      openChildren.remove(child);
    }
  }

  /** The observer of this scope's tree, or null. */
  @Nullable CtxObserver observer() {
    return observer;
  }

  @Override
  public RequestCtx ctx() {
    return ctx;
  }

  @Override
  public @Nullable Throwable cause() {
    return cause;
  }

  @Override
  public RequestCtx.CancelRegistration onCancel(RequestCtx.CancelListener listener) {
    Listener entry = new Listener(listener);
    synchronized (this) {
      if (cause == null) {
        if (listeners == null) {
          listeners = new ArrayList<>(2);
        }
        listeners.add(entry);
        return entry;
      }
    }
    entry.run(requireNonNull(cause));
    return entry;
  }

  @Override
  public void cancel(Throwable cause) {
    cancelInternal(requireNonNull(cause, "cause"), true);
  }

  private void cancelInternal(Throwable newCause, boolean notifyObservers) {
    if (!CAUSE.compareAndSet(this, null, newCause)) {
      return;
    }
    List<Listener> toRun;
    List<CancellableCtxImpl> children;
    Ticker.Alarm armed;
    synchronized (this) {
      toRun = listeners;
      listeners = null;
      children = openChildren == null ? List.of() : new ArrayList<>(openChildren);
      armed = alarm;
      alarm = null;
    }
    if (armed != null) {
      armed.cancel();
    }
    if (notifyObservers) {
      cancelledAtNanos = ticker.nanoTime();
      FlightEvents.cancelled(this, newCause);
      CtxObservers.cancelled(ctx, newCause, observer);
    }
    if (toRun != null) {
      for (Listener l : toRun) {
        l.run(newCause);
      }
    }
    for (CancellableCtxImpl child : children) {
      child.cancelInternal(newCause, notifyObservers);
    }
  }

  @Override
  public void close() {
    if (!CLOSED.compareAndSet(this, false, true)) {
      return;
    }
    List<CancellableCtxImpl> leaked;
    synchronized (this) {
      leaked = openChildren == null ? List.of() : new ArrayList<>(openChildren);
    }
    for (CancellableCtxImpl child : leaked) {
      if (child.closed) {
        continue; // closing right now on another thread, not leaked
      }
      LeakDetection.report(
          new LeakReport(LeakReport.Kind.CHILD_OPEN_AT_PARENT_CLOSE, child.describe(), child.creationSite),
          child.observer);
      child.cancelInternal(new CancellationException("reqctx: parent scope closed while this child was open"), true);
      child.close();
    }
    if (cause == null) {
      cancelInternal(new CtxClosedException(), false);
    }
    Throwable current = cause;
    Throwable before = current instanceof CtxClosedException ? null : current; // a cancel before the close
    if (parent != null) {
      parent.release(this);
    }
    if (watch != null) {
      watch.done();
    }
    long now = ticker.nanoTime();
    CtxObserver.CtxEnd end = new CtxObserver.CtxEnd(
        ctx,
        Outcome.ofCancellation(before),
        Duration.ofNanos(Math.max(0, now - openedAtNanos)),
        workAfterCancel(before, now));
    FlightEvents.closed(flight, end);
    CtxObservers.closed(end, observer);
  }

  private Duration workAfterCancel(@Nullable Throwable causeBeforeClose, long now) {
    long at = cancelledAtNanos; // zero while a concurrent cancel is still recording its time
    return causeBeforeClose == null || at == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, now - at));
  }

  @Override
  public String toString() {
    return "CancellableCtx[" + ctx + (closed ? ", closed" : "") + "]";
  }

  /** A registered listener; runs at most once, whether by cancel or by removal racing with it. */
  private final class Listener implements RequestCtx.CancelRegistration {
    private final RequestCtx.CancelListener delegate;
    private final AtomicBoolean done = new AtomicBoolean();

    Listener(RequestCtx.CancelListener delegate) {
      this.delegate = delegate;
    }

    void run(Throwable cause) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      try {
        delegate.cancelled(cause);
      } catch (RuntimeException e) {
        log.warn("reqctx: a cancel listener of {} threw", ctx.requestId(), e);
      }
    }

    @Override
    public boolean remove() {
      if (!done.compareAndSet(false, true)) {
        return false;
      }
      synchronized (CancellableCtxImpl.this) {
        if (listeners != null) {
          listeners.remove(this);
        }
      }
      return true;
    }
  }
}
