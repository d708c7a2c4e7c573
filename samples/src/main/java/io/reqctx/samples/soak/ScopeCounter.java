package io.reqctx.samples.soak;

import io.reqctx.CtxObserver;
import io.reqctx.LeakReport;
import io.reqctx.RequestCtx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counts every scope opened and closed in this JVM, and every leak reqctx reports, by kind. */
final class ScopeCounter implements CtxObserver {
  private final LongAdder opened = new LongAdder();
  private final LongAdder closed = new LongAdder();
  private final Map<LeakReport.Kind, LongAdder> leaks = new EnumMap<>(LeakReport.Kind.class);
  /** The ctx of every scope open now, with when it opened (System.nanoTime). */
  private final Map<RequestCtx, Long> openSince = Collections.synchronizedMap(new IdentityHashMap<>());
  private volatile String firstLeak = "";

  ScopeCounter() {
    for (LeakReport.Kind kind : LeakReport.Kind.values()) {
      leaks.put(kind, new LongAdder());
    }
  }

  @Override
  public void onOpen(RequestCtx ctx) {
    opened.increment();
    openSince.put(ctx, System.nanoTime());
  }

  @Override
  public void onClose(CtxEnd end) {
    closed.increment();
    openSince.remove(end.ctx());
  }

  private static String describe(RequestCtx ctx) {
    return "request " + ctx.requestId() + " tier " + ctx.tier().name();
  }

  /** Up to {@code max} of the requests with scopes open now, with their tiers. */
  List<String> openScopes(int max) {
    List<RequestCtx> open;
    synchronized (openSince) {
      open = new ArrayList<>(openSince.keySet());
    }
    return open.stream().map(ScopeCounter::describe).distinct().sorted().limit(max).toList();
  }

  /**
   * Up to {@code max} of the scopes open now, each with its age, deadline and whether (and why) it was
   * cancelled: what a soak that ends with scopes open prints, to tell a scope nobody closes from one
   * whose work is still running.
   */
  List<String> describeOpen(int max) {
    long now = System.nanoTime();
    List<String> lines = new ArrayList<>();
    synchronized (openSince) {
      openSince.forEach((ctx, since) -> {
        if (lines.size() < max) {
          Throwable cause = ctx.cancellationCause();
          lines.add(String.format(Locale.ROOT, "%s, open %.1f s, remaining %s, %s", describe(ctx), (now - since) / 1e9,
              ctx.remainingBudget().map(d -> d.toMillis() + " ms").orElse("no deadline"),
              cause == null ? "not cancelled" : "cancelled: " + cause));
        }
      });
    }
    return lines;
  }

  @Override
  public void onLeak(LeakReport leak) {
    leaks.get(leak.kind()).increment();
    if (firstLeak.isEmpty()) {
      firstLeak = leak.message();
    }
  }

  long opened() {
    return opened.sum();
  }

  /** Scopes opened and not closed (yet). */
  long open() {
    return opened.sum() - closed.sum();
  }

  long leaks(LeakReport.Kind kind) {
    return leaks.get(kind).sum();
  }

  /** The message of the first leak reported, or empty. */
  String firstLeak() {
    return firstLeak;
  }
}
