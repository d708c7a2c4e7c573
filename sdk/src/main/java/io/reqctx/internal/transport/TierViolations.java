package io.reqctx.internal.transport;

import io.reqctx.Tier;
import io.reqctx.internal.telemetry.Metrics;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Counts every call up the tier order and logs each (caller tier, callee tier, method) once. */
final class TierViolations {
  private static final Logger log = LoggerFactory.getLogger(TierViolations.class);
  private static final int MAX_LOGGED = 256;
  private static final Set<String> logged = ConcurrentHashMap.newKeySet();

  private TierViolations() {}

  static void report(Metrics metrics, Tier caller, Tier callee, String method) {
    metrics.recordTierViolation(caller, callee);
    String site = caller.name() + ">" + callee.name() + ":" + method;
    if (logged.size() < MAX_LOGGED && logged.add(site)) {
      log.warn("reqctx: tier violation: a {} hop calls {} ({}), which is not below it; calls should go down "
          + "the tier order (logged once per caller, callee and method; BudgetPolicy.builder().rejectTierViolations(true) refuses them)",
          caller.name(), method, callee.name());
    }
  }
}
