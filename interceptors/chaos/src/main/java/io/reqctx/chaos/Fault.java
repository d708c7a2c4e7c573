package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

import io.reqctx.CtxKey;
import java.time.Duration;
import java.util.List;

/**
 * One kind of trouble a {@link ChaosRule} injects into the requests it picks.
 *
 * <pre>{@code
 * Fault.cancelStorm(Duration.ofMillis(5), Duration.ofMillis(200));   // cancel after 5-200 ms
 * Fault.deadlineSkew(0.5, Duration.ZERO);                             // a peer that sends half its budget
 * Fault.deadlineSkew(1.0, Duration.ofMillis(400));                    // ... or 400 ms more than it has
 * Fault.latency(Duration.ofMillis(20), Duration.ofMillis(80));        // 20-80 ms before the handler / the call
 * Fault.valueLeak(TENANT, SESSION);                                   // report the ctx or these values if retained
 * }</pre>
 */
public sealed interface Fault permits Fault.CancelStorm, Fault.DeadlineSkew, Fault.Latency, Fault.ValueLeak {

  /** The fault's name in metrics and span events, e.g. {@code "cancel_storm"}. */
  String name();

  /**
   * Cancels the request after a delay drawn from {@code [minDelay, maxDelay]}. On a server the
   * request's ctx and its gRPC context are cancelled and the call ends with {@code CANCELLED}, as when
   * the caller resets the stream; on a client the outgoing call (or request) is cancelled.
   */
  static Fault cancelStorm(Duration minDelay, Duration maxDelay) {
    return new CancelStorm(minDelay, maxDelay);
  }

  /**
   * Changes the budget a caller sends, as a peer with a wrong clock or reserve would: the budget
   * becomes {@code max(0, budget × scale + shift)}. {@code shift} may be negative. On a server it
   * applies to the inbound deadline headers before reqctx reads them, on a client to the deadline the
   * outgoing call carries.
   */
  static Fault deadlineSkew(double scale, Duration shift) {
    return new DeadlineSkew(scale, shift);
  }

  /** Waits a delay drawn from {@code [min, max]} before the handler runs (server) or the call starts (client). */
  static Fault latency(Duration min, Duration max) {
    return new Latency(min, max);
  }

  /**
   * Watches the request's ctx and the values of {@code keys} (server only): whichever is still
   * reachable after the request ended, when {@link Chaos#checkValueLeaks} runs after a garbage
   * collection, is reported as a leak of kind {@link io.reqctx.LeakReport.Kind#VALUE_RETAINED_AFTER_CTX_END}.
   * Watch keys whose values are per-request objects: interned strings, enum constants and cached boxes
   * are never collected and would always be reported.
   */
  static Fault valueLeak(CtxKey<?>... keys) {
    return new ValueLeak(List.of(keys));
  }

  /** See {@link Fault#cancelStorm}. */
  record CancelStorm(Duration minDelay, Duration maxDelay) implements Fault {
    public CancelStorm {
      Faults.checkRange(minDelay, maxDelay, "cancelStorm");
    }

    @Override
    public String name() {
      return "cancel_storm";
    }
  }

  /** See {@link Fault#deadlineSkew}. */
  record DeadlineSkew(double scale, Duration shift) implements Fault {
    public DeadlineSkew {
      requireNonNull(shift, "shift");
      if (!(scale >= 0) || Double.isInfinite(scale)) {
        throw new IllegalArgumentException("deadlineSkew scale must be a finite number >= 0, got " + scale);
      }
    }

    @Override
    public String name() {
      return "deadline_skew";
    }

    /** The skewed budget for {@code nanos}, never negative. */
    public long apply(long nanos) {
      double skewed = nanos * scale + shift.toNanos();
      return skewed <= 0 ? 0 : skewed >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) skewed;
    }
  }

  /** See {@link Fault#latency}. */
  record Latency(Duration min, Duration max) implements Fault {
    public Latency {
      Faults.checkRange(min, max, "latency");
    }

    @Override
    public String name() {
      return "latency";
    }
  }

  /** See {@link Fault#valueLeak}. */
  record ValueLeak(List<CtxKey<?>> keys) implements Fault {
    public ValueLeak {
      keys = List.copyOf(keys);
    }

    @Override
    public String name() {
      return "value_leak";
    }
  }
}
