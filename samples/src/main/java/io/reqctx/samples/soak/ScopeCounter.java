package io.reqctx.samples.soak;

import io.reqctx.CtxObserver;
import io.reqctx.LeakReport;
import io.reqctx.RequestCtx;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counts every scope opened and closed in this JVM, and every leak reqctx reports, by kind. */
final class ScopeCounter implements CtxObserver {
  private final LongAdder opened = new LongAdder();
  private final LongAdder closed = new LongAdder();
  private final Map<LeakReport.Kind, LongAdder> leaks = new EnumMap<>(LeakReport.Kind.class);
  private volatile String firstLeak = "";

  ScopeCounter() {
    for (LeakReport.Kind kind : LeakReport.Kind.values()) {
      leaks.put(kind, new LongAdder());
    }
  }

  @Override
  public void onOpen(RequestCtx ctx) {
    opened.increment();
  }

  @Override
  public void onClose(CtxEnd end) {
    closed.increment();
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
