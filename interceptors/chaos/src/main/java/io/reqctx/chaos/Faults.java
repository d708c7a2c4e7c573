package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** Argument checks shared by the {@link Fault} records. */
final class Faults {
  private Faults() {}

  static void checkRange(Duration min, Duration max, String fault) {
    requireNonNull(min, "min");
    requireNonNull(max, "max");
    if (min.isNegative() || max.compareTo(min) < 0) {
      throw new IllegalArgumentException(
          fault + " needs 0 <= min <= max, got min " + min.toMillis() + "ms, max " + max.toMillis() + "ms");
    }
  }
}
