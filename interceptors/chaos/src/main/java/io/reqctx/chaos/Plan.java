package io.reqctx.chaos;

import org.jspecify.annotations.Nullable;

/**
 * What the rules of a {@link Chaos} do to one request: at most one decision per kind of fault (the
 * first rule of that kind that fires).
 */
final class Plan {
  static final Plan NONE = new Plan(null, null, null, null);

  final @Nullable Decision cancelStorm;
  final @Nullable Decision deadlineSkew;
  final @Nullable Decision latency;
  final @Nullable Decision valueLeak;

  Plan(@Nullable Decision cancelStorm, @Nullable Decision deadlineSkew, @Nullable Decision latency,
      @Nullable Decision valueLeak) {
    this.cancelStorm = cancelStorm;
    this.deadlineSkew = deadlineSkew;
    this.latency = latency;
    this.valueLeak = valueLeak;
  }

  boolean isEmpty() {
    return cancelStorm == null && deadlineSkew == null && latency == null && valueLeak == null;
  }

  Fault.DeadlineSkew skew() {
    return (Fault.DeadlineSkew) java.util.Objects.requireNonNull(deadlineSkew).rule().fault();
  }

  Fault.ValueLeak leak() {
    return (Fault.ValueLeak) java.util.Objects.requireNonNull(valueLeak).rule().fault();
  }
}
