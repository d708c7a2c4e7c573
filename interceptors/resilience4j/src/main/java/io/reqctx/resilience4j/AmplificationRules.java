package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import io.reqctx.RequestCtx;

/** The built-in {@link AmplificationRule}s, with readable {@code toString}. */
final class AmplificationRules {
  static final AmplificationRule EVERY_HOP = new AmplificationRule() {
    @Override
    public boolean mayRetry(RequestCtx inbound) {
      requireNonNull(inbound, "inbound");
      return true;
    }

    @Override
    public String toString() {
      return "AmplificationRule[every hop retries]";
    }
  };

  private AmplificationRules() {}

  record AtHop(int hop) implements AmplificationRule {
    @Override
    public boolean mayRetry(RequestCtx inbound) {
      return inbound.hopCount() == hop && inbound.inboundAttempt() == 1;
    }

    @Override
    public String toString() {
      return "AmplificationRule[only hop " + hop + " retries, on a first attempt]";
    }
  }
}
