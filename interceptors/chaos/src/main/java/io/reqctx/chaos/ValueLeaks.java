package io.reqctx.chaos;

import io.reqctx.CtxKey;
import io.reqctx.LeakDetection;
import io.reqctx.LeakReport;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link Fault.ValueLeak} detector: weak references to a request's ctx and to the values of the
 * watched keys, taken while the request runs and checked after it ended. A reference that still
 * resolves after a full garbage collection means something kept the object: it is reported through
 * {@link LeakDetection#report} as {@link LeakReport.Kind#VALUE_RETAINED_AFTER_CTX_END}.
 */
final class ValueLeaks {
  /** Ended requests waiting for a check; beyond this the oldest are dropped unchecked. */
  static final int MAX_PENDING = 100_000;

  private final ChaosTelemetry telemetry;
  private final Ticker ticker;
  private final ConcurrentLinkedQueue<Watch> ended = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final LongAdder droppedUnchecked = new LongAdder();

  ValueLeaks(ChaosTelemetry telemetry, Ticker ticker) {
    this.telemetry = telemetry;
    this.ticker = ticker;
  }

  /** Starts watching {@code ctx} and its values of {@code keys}; call {@link Watch#ended()} when the request ends. */
  Watch watch(RequestCtx ctx, List<CtxKey<?>> keys) {
    List<Retained> refs = new ArrayList<>(1 + keys.size());
    refs.add(new Retained("its ctx", "ctx", ctx));
    for (CtxKey<?> key : keys) {
      Object value = ctx.get(key);
      if (value != null) {
        refs.add(new Retained("the value of key " + key.name(), "value", value));
      }
    }
    return new Watch("request " + ctx.requestId() + ", tier " + ctx.tier().name(), refs);
  }

  /**
   * Reports every watched object of requests that ended at least {@code minAge} ago and is still
   * reachable; forgets those requests. Returns the number of leaks reported.
   */
  int check(Duration minAge) {
    long now = ticker.nanoTime();
    int reported = 0;
    List<Watch> younger = new ArrayList<>();
    for (int n = pending.get(); n > 0; n--) {
      Watch watch = ended.poll();
      if (watch == null) {
        break;
      }
      pending.decrementAndGet();
      long age = now - watch.endedAtNanos;
      if (age < minAge.toNanos()) {
        younger.add(watch);
        continue;
      }
      for (Retained ref : watch.refs) {
        if (ref.get() != null) {
          reported++;
          telemetry.valueLeak(ref.kind);
          LeakDetection.report(new LeakReport(LeakReport.Kind.VALUE_RETAINED_AFTER_CTX_END,
              watch.description + ": " + ref.what + " was still reachable " + age / 1_000_000 + "ms after the request ended",
              null));
        }
      }
    }
    for (Watch watch : younger) {
      enqueue(watch);
    }
    return reported;
  }

  /** Ended requests not checked yet. */
  int pending() {
    return pending.get();
  }

  /** Ended requests dropped without a check because {@value #MAX_PENDING} were waiting. */
  long droppedUnchecked() {
    return droppedUnchecked.sum();
  }

  private void enqueue(Watch watch) {
    ended.add(watch);
    if (pending.incrementAndGet() > MAX_PENDING && ended.poll() != null) {
      pending.decrementAndGet();
      droppedUnchecked.increment();
    }
  }

  /** A weak reference with what to call its referent in a report. */
  private static final class Retained extends WeakReference<Object> {
    final String what;
    final String kind;

    Retained(String what, String kind, Object referent) {
      super(referent);
      this.what = what;
      this.kind = kind;
    }
  }

  /** The references taken for one request. Holds nothing strongly but its description. */
  final class Watch {
    private final String description;
    private final List<Retained> refs;
    private volatile long endedAtNanos;
    private volatile boolean done;

    private Watch(String description, List<Retained> refs) {
      this.description = description;
      this.refs = refs;
    }

    /** The request ended: from now on its ctx and values should become unreachable. Idempotent. */
    void ended() {
      if (done) {
        return;
      }
      done = true;
      endedAtNanos = ticker.nanoTime();
      enqueue(this);
    }
  }
}
