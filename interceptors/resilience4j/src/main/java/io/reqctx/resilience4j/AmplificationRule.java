package io.reqctx.resilience4j;

import io.reqctx.RequestCtx;

/**
 * Decides, from the inbound ctx of a hop, whether that hop may retry at all. It exists so that
 * retries at several layers never multiply: 3 attempts at each of 5 layers would otherwise be 3^5 =
 * 243 calls at the leaf. When the rule says no, a guarded call makes exactly one attempt.
 *
 * <p>The signals are the ones reqctx already carries: {@link RequestCtx#hopCount()} (0 at the origin,
 * +1 per hop, from {@code reqctx-hop}) and {@link RequestCtx#inboundAttempt()} (the inbound attempt number,
 * from {@code reqctx-attempt}). Independently of the rule, a retry loop running inside an attempt of
 * another retry loop of the same process never retries.
 *
 * <pre>{@code
 * AmplificationRule.originOnly();   // default: only hop 0 retries
 * AmplificationRule.onlyAtHop(1);   // only the services right below the gateway retry
 * AmplificationRule.everyHop();     // no protection; for tests and single-layer systems
 * }</pre>
 */
@FunctionalInterface
public interface AmplificationRule {

  /** Whether a hop whose request is {@code inbound} may retry its outgoing calls. */
  boolean mayRetry(RequestCtx inbound);

  /**
   * Only the origin retries: hop count 0 and inbound attempt 1. The leaf sees at most {@code
   * maxAttempts} calls of the origin, whatever the depth of the chain.
   */
  static AmplificationRule originOnly() {
    return new AmplificationRules.AtHop(0);
  }

  /**
   * Only hops with hop count {@code hop} retry, and only when their inbound request is a first attempt.
   * One layer retries, so the bound is that layer's {@code maxAttempts}.
   */
  static AmplificationRule onlyAtHop(int hop) {
    if (hop < 0) {
      throw new IllegalArgumentException("hop must be zero or more, got " + hop);
    }
    return new AmplificationRules.AtHop(hop);
  }

  /** Every hop may retry: retries multiply across layers. Use only where one layer retries by design. */
  static AmplificationRule everyHop() {
    return AmplificationRules.EVERY_HOP;
  }
}
