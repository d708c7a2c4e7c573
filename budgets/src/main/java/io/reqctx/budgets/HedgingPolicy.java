package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * How the callers of a method hedge it: the first request at once, then up to {@code attempts - 1} more,
 * one every {@code delay}, until one answers. Exported as the gRPC service config's {@code hedgingPolicy}.
 *
 * <pre>{@code
 * HedgingPolicy hedge = new HedgingPolicy(3, Duration.ofMillis(50), List.of("UNAVAILABLE"), at);
 * hedge.lastStart(); // PT0.1S: the third request starts 100 ms after the first
 * }</pre>
 *
 * @param attempts requests in all, the first included; 2 or more
 * @param delay the time between two requests; zero sends all at once
 * @param nonFatal status codes after which the other requests go on (may be empty)
 * @param location where the policy is declared
 */
public record HedgingPolicy(int attempts, Duration delay, List<String> nonFatal, Location location) {

  public HedgingPolicy {
    requireNonNull(delay, "delay");
    requireNonNull(location, "location");
    nonFatal = List.copyOf(nonFatal);
    if (attempts < 2) {
      throw new IllegalArgumentException("hedging attempts must be 2 or more, got " + attempts);
    }
    if (delay.isNegative()) {
      throw new IllegalArgumentException("hedging delay must be zero or more, got " + delay);
    }
  }

  /** When the last request starts, counted from the first: {@code (attempts - 1) x delay}. */
  public Duration lastStart() {
    return delay.multipliedBy(attempts - 1L);
  }
}
