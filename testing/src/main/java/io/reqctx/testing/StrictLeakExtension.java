package io.reqctx.testing;

import io.opentelemetry.context.Context;
import io.reqctx.LeakDetection;
import io.reqctx.LeakReport;
import io.reqctx.RequestCtx;
import io.reqctx.CtxObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Strict leak mode for tests: captures where every scope, attach and task is created, and fails a
 * test that leaks one — a scope still open when the test ends (after a bounded wait for servers to
 * finish their calls), any leak reqctx reports while the test runs, or a context left attached to the
 * test thread. The failure carries the creation stack.
 *
 * <pre>{@code
 * @ExtendWith(StrictLeakExtension.class)
 * class CheckoutServiceTest { ... }
 * }</pre>
 *
 * <p>Scope observers are JVM-wide: run test classes that use this extension one at a time (the
 * default for Maven Surefire and for JUnit without parallel execution).
 */
public final class StrictLeakExtension implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StrictLeakExtension.class);
  private static final Duration SETTLE = Duration.ofSeconds(5);

  @Override
  public void beforeEach(ExtensionContext extension) {
    Tracker tracker = new Tracker(LeakDetection.mode());
    LeakDetection.setMode(LeakDetection.Mode.ALWAYS);
    tracker.registration = CtxObserver.register(tracker);
    extension.getStore(NAMESPACE).put(Tracker.class, tracker);
  }

  @Override
  public void afterEach(ExtensionContext extension) {
    Tracker tracker = extension.getStore(NAMESPACE).remove(Tracker.class, Tracker.class);
    if (tracker == null) {
      return;
    }
    try {
      Context current = Context.current();
      if (current != Context.root()) {
        throw new AssertionError(extension.getDisplayName() + " left a context attached to its thread: "
            + RequestCtx.fromContext(current) + ". Close every Scope returned by makeCurrent() (try-with-resources).");
      }
      long until = System.nanoTime() + SETTLE.toNanos();
      while (!tracker.open.isEmpty() && System.nanoTime() < until) {
        LockSupport.parkNanos(5_000_000L); // servers close their scopes just after the client sees the reply
      }
      AssertionError failure = null;
      for (Map.Entry<RequestCtx, Throwable> open : tracker.open.entrySet()) {
        failure = add(failure, extension, "a request scope was never closed (" + open.getKey() + ")", open.getValue());
      }
      for (LeakReport leak : tracker.leaks) {
        failure = add(failure, extension, leak.message(), leak.creationSite());
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      tracker.registration.close();
      LeakDetection.setMode(tracker.previousMode);
    }
  }

  private static AssertionError add(AssertionError failure, ExtensionContext extension, String what, Throwable site) {
    AssertionError leak = new AssertionError(extension.getDisplayName() + " leaked: " + what, site);
    if (failure == null) {
      return leak;
    }
    failure.addSuppressed(leak);
    return failure;
  }

  private static final class Tracker implements CtxObserver {
    final LeakDetection.Mode previousMode;
    final Map<RequestCtx, Throwable> open = new ConcurrentHashMap<>();
    final List<LeakReport> leaks = new CopyOnWriteArrayList<>();
    Registration registration;

    Tracker(LeakDetection.Mode previousMode) {
      this.previousMode = previousMode;
    }

    @Override
    public void onOpen(RequestCtx ctx) {
      open.put(ctx, new Throwable("request scope opened here"));
    }

    @Override
    public void onClose(CtxEnd end) {
      open.remove(end.ctx());
    }

    @Override
    public void onLeak(LeakReport leak) {
      leaks.add(leak);
    }
  }
}
