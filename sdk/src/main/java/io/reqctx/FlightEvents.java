package io.reqctx;

import org.jspecify.annotations.Nullable;

/**
 * JDK Flight Recorder events for the scope lifecycle, so a recording shows the cancel flow on a
 * timeline in JDK Mission Control: {@code io.reqctx.Scope} (open to close), {@code io.reqctx.Cancel},
 * {@code io.reqctx.DeadlineExceeded} and {@code io.reqctx.Leak}. Disabled events cost a flag check.
 */
final class FlightEvents {
  private FlightEvents() {}

  static @Nullable ScopeFlightEvent opened(CancellableCtxImpl scope, @Nullable Deadline deadline) {
    ScopeFlightEvent event = new ScopeFlightEvent();
    if (!event.isEnabled()) {
      return null;
    }
    RequestCtx ctx = scope.ctx();
    event.requestId = ctx.requestId();
    event.tier = ctx.tier().name();
    event.hop = ctx.hopCount();
    event.budget = deadline == null ? -1 : Math.max(0, deadline.remainingNanos());
    event.begin();
    return event;
  }

  static void cancelled(CancellableCtxImpl scope, Throwable cause) {
    RequestCtx ctx = scope.ctx();
    if (cause instanceof DeadlineExceededException deadline) {
      DeadlineExceededFlightEvent event = new DeadlineExceededFlightEvent();
      if (event.isEnabled()) {
        event.requestId = ctx.requestId();
        event.tier = ctx.tier().name();
        event.budget = deadline.budget().toNanos();
        event.commit();
      }
      return;
    }
    CancelFlightEvent event = new CancelFlightEvent();
    if (event.isEnabled()) {
      event.requestId = ctx.requestId();
      event.tier = ctx.tier().name();
      event.cause = String.valueOf(cause);
      event.commit();
    }
  }

  static void closed(@Nullable ScopeFlightEvent event, CtxObserver.CtxEnd end) {
    if (event == null) {
      return;
    }
    event.outcome = end.outcome().name();
    event.workAfterCancel = end.workAfterCancel().toNanos();
    event.commit();
  }

  static void leaked(LeakReport leak) {
    LeakFlightEvent event = new LeakFlightEvent();
    if (event.isEnabled()) {
      event.kind = leak.kind().name();
      event.description = leak.description();
      event.creationSite = leak.creationSite() == null ? "" : firstFrames(leak.creationSite());
      event.commit();
    }
  }

  private static String firstFrames(Throwable site) {
    StringBuilder sb = new StringBuilder();
    StackTraceElement[] frames = site.getStackTrace();
    for (int i = 0; i < Math.min(frames.length, 10); i++) {
      sb.append(frames[i]).append('\n');
    }
    return sb.toString();
  }
}
