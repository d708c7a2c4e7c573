package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Exponential backoff between attempts, as gRPC defines it: the pause before retry {@code n} (1-based)
 * is at most {@code min(initial * multiplier^(n-1), max)} (gRPC draws it at random below that bound).
 *
 * <pre>{@code
 * Backoff backoff = new Backoff(Duration.ofMillis(10), Duration.ofMillis(50), 2.0);
 * backoff.worstCaseTotal(3); // 10 ms + 20 ms = PT0.03S: the pauses before attempts 2 and 3
 * }</pre>
 *
 * @param initial the bound of the first pause; positive
 * @param max the largest bound; positive, not below {@code initial}
 * @param multiplier how much the bound grows per retry; positive
 */
public record Backoff(Duration initial, Duration max, double multiplier) {

  public Backoff {
    requireNonNull(initial, "initial");
    requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero() || max.isNegative() || max.isZero()) {
      throw new IllegalArgumentException("backoff initial and max must be positive, got " + initial + " and " + max);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff max " + max.toMillis() + "ms is below initial " + initial.toMillis() + "ms");
    }
    if (!(multiplier > 0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("backoff multiplier must be positive, got " + multiplier);
    }
  }

  /** The upper bound of the pause before retry {@code n} (1-based: the pause between attempt n and n + 1). */
  public Duration bound(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("retry number must be 1 or more, got " + n);
    }
    double nanos = initial.toNanos() * Math.pow(multiplier, n - 1);
    return nanos >= max.toNanos() ? max : Duration.ofNanos((long) nanos);
  }

  /** The longest total of the pauses of a call made {@code attempts} times (zero for one attempt). */
  public Duration worstCaseTotal(int attempts) {
    Duration total = Duration.ZERO;
    for (int n = 1; n < attempts; n++) {
      total = total.plus(bound(n));
    }
    return total;
  }
}
