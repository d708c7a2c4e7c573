package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Declares a method long-lived (a watch, a subscription, a long download): it is exempt from its tier's
 * cap and its budget; a {@code maxDuration} still bounds it.
 *
 * <pre>{@code
 * LongLived watch = new LongLived(Duration.ofMinutes(30), at);   // longLived: {maxDuration: 30m}
 * LongLived forever = new LongLived(null, at);                  // longLived: true
 * }</pre>
 *
 * @param maxDuration the longest one call may last, or null for no bound
 * @param location where it is declared
 */
public record LongLived(@Nullable Duration maxDuration, Location location) {

  public LongLived {
    requireNonNull(location, "location");
    if (maxDuration != null && (maxDuration.isNegative() || maxDuration.isZero())) {
      throw new IllegalArgumentException("longLived maxDuration must be positive, got " + maxDuration);
    }
  }
}
