package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * How the callers of a method retry it: up to {@code attempts} attempts in all, each cut at {@code
 * perAttempt}, with {@link Backoff} pauses between them, on the listed gRPC status codes. Exported as
 * the gRPC service config's {@code retryPolicy}; {@code perAttempt} has no field there (gRPC's overall
 * {@code timeout} spans every attempt) and goes to Envoy's {@code per_try_timeout}.
 *
 * <pre>{@code
 * RetryPolicy retry = new RetryPolicy(3, Duration.ofMillis(200),
 *     new Backoff(Duration.ofMillis(10), Duration.ofMillis(50), 2.0), List.of("UNAVAILABLE"), at);
 * retry.worstCase(); // 3 x 200 ms + 10 ms + 20 ms = PT0.63S
 * }</pre>
 *
 * @param attempts attempts in all, the first included; 1 or more
 * @param perAttempt the longest one attempt may take; positive
 * @param backoff the pauses between attempts
 * @param retryOn gRPC status code names that are retried, e.g. {@code UNAVAILABLE}; not empty
 * @param location where the policy is declared
 */
public record RetryPolicy(int attempts, Duration perAttempt, Backoff backoff, List<String> retryOn, Location location) {

  public RetryPolicy {
    requireNonNull(perAttempt, "perAttempt");
    requireNonNull(backoff, "backoff");
    requireNonNull(location, "location");
    retryOn = List.copyOf(retryOn);
    if (attempts < 1) {
      throw new IllegalArgumentException("retry attempts must be 1 or more, got " + attempts);
    }
    if (perAttempt.isNegative() || perAttempt.isZero()) {
      throw new IllegalArgumentException("retry perAttempt must be positive, got " + perAttempt);
    }
    if (retryOn.isEmpty()) {
      throw new IllegalArgumentException("retry retryOn must name at least one status code");
    }
  }

  /** The longest the call may take with every attempt used: {@code attempts x perAttempt + pauses}. */
  public Duration worstCase() {
    return perAttempt.multipliedBy(attempts).plus(backoff.worstCaseTotal(attempts));
  }
}
