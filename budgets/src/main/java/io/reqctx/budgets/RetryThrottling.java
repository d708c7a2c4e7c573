package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

/**
 * gRPC's client-side retry throttling for calls to one service: each failure costs a token, each success
 * returns {@code tokenRatio}; below half of {@code maxTokens} no retry or hedge is sent. Exported as the
 * service config's {@code retryThrottling}.
 *
 * <pre>{@code
 * RetryThrottling throttle = new RetryThrottling(10, 0.1, at);
 * }</pre>
 *
 * @param maxTokens 1 to 1000
 * @param tokenRatio greater than 0 (gRPC keeps 3 decimal places)
 * @param location where it is declared
 */
public record RetryThrottling(int maxTokens, double tokenRatio, Location location) {

  public RetryThrottling {
    requireNonNull(location, "location");
    if (maxTokens < 1 || maxTokens > 1000) {
      throw new IllegalArgumentException("retryThrottling maxTokens must be 1 to 1000, got " + maxTokens);
    }
    if (!(tokenRatio > 0) || Double.isInfinite(tokenRatio)) {
      throw new IllegalArgumentException("retryThrottling tokenRatio must be greater than 0, got " + tokenRatio);
    }
  }
}
