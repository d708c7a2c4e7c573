package io.reqctx.budgets;

import io.reqctx.BudgetPolicy;
import io.reqctx.OutboundBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one service of a fleet calls, grouped by callee service, with the timeout each called method gets:
 * the budget the client's {@link BudgetPolicy} sends it when the calling method starts with its full
 * budget (for several calling methods, the most generous). Shared by every export format.
 */
final class ClientPlan {

  /** One called method and its timeout (null: long-lived without a bound). */
  record CalledMethod(FleetMethod method, @Nullable Duration timeout) {}

  private ClientPlan() {}

  /** Callee service name to the methods called on it, in the order the calls are declared. */
  static Map<String, List<CalledMethod>> of(Fleet fleet, String client) {
    FleetService service = fleet.service(client);
    BudgetPolicy policy = service.policy();
    Map<String, Map<String, Duration>> timeouts = new LinkedHashMap<>();
    Map<String, Map<String, FleetMethod>> called = new LinkedHashMap<>();
    for (FleetMethod caller : service.methods().values()) {
      Duration callerBudget = ownBudget(caller, policy);
      for (CallStep step : caller.calls()) {
        for (CallStep.Call call : step.calls()) {
          FleetMethod callee = fleet.method(call.method()).orElse(null);
          if (callee == null) {
            continue;
          }
          Duration timeout = timeout(policy, service, callerBudget, callee);
          called.computeIfAbsent(callee.service(), s -> new LinkedHashMap<>()).putIfAbsent(callee.name(), callee);
          Map<String, Duration> perMethod = timeouts.computeIfAbsent(callee.service(), s -> new LinkedHashMap<>());
          Duration known = perMethod.get(callee.name());
          if (!perMethod.containsKey(callee.name()) || (known != null && (timeout == null || timeout.compareTo(known) > 0))) {
            perMethod.put(callee.name(), timeout);
          }
        }
      }
    }
    Map<String, List<CalledMethod>> plan = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, FleetMethod>> entry : called.entrySet()) {
      List<CalledMethod> methods = new ArrayList<>();
      for (FleetMethod callee : entry.getValue().values()) {
        methods.add(new CalledMethod(callee, timeouts.get(entry.getKey()).get(callee.name())));
      }
      plan.put(entry.getKey(), methods);
    }
    return plan;
  }

  private static @Nullable Duration timeout(
      BudgetPolicy policy, FleetService client, @Nullable Duration callerBudget, FleetMethod callee) {
    if (callee.longLived() != null) {
      return callee.longLived().maxDuration();
    }
    OutboundBudget verdict = policy.outbound(callerBudget, client.tier(), callee.callee());
    if (verdict instanceof OutboundBudget.Send send) {
      return send.budget();
    }
    return policy.inboundBudget(null, callee.tier(), callee.effectiveBudget().orElse(null));
  }

  private static @Nullable Duration ownBudget(FleetMethod m, BudgetPolicy policy) {
    if (m.longLived() != null) {
      return m.longLived().maxDuration();
    }
    return policy.inboundBudget(null, m.tier(), m.effectiveBudget().orElse(null));
  }
}
