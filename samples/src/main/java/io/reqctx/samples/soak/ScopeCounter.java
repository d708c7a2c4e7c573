package io.reqctx.samples.soak;

import io.reqctx.CtxObserver;
import io.reqctx.LeakReport;
import io.reqctx.RequestCtx;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts every scope opened and closed in this JVM, and every leak reqctx reports, by kind. */
final class ScopeCounter implements CtxObserver {
  private final LongAdder opened = new LongAdder();
  private final LongAdder closed = new LongAdder();
  private final Map<LeakReport.Kind, LongAdder> leaks = new EnumMap<>(LeakReport.Kind.class);
  private final Map<String, Long> openByRequest = new ConcurrentHashMap<>();
  private volatile String firstLeak = "";

  ScopeCounter() {
    for (LeakReport.Kind kind : LeakReport.Kind.values()) {
      leaks.put(kind, new LongAdder());
    }
  }

  @Override
  public void onOpen(RequestCtx ctx) {
    opened.increment();
    openByRequest.merge(describe(ctx), 1L, Long::sum);
  }

  @Override
  public void onClose(CtxEnd end) {
    closed.increment();
    openByRequest.computeIfPresent(describe(end.ctx()), (k, n) -> n == 1 ? null : n - 1);
  }

  private static String describe(RequestCtx ctx) {
    return "request " + ctx.requestId() + " tier " + ctx.tier().name();
  }

  /** Up to {@code max} of the requests with scopes open now, with their tiers. */
  List<String> openScopes(int max) {
    return openByRequest.keySet().stream().sorted().limit(max).toList();
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
