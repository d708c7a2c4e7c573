package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import io.reqctx.BudgetPolicy;
import io.reqctx.Tier;
import io.reqctx.transport.Trust;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One service of a fleet: its tier, how far it trusts its callers, the budget policy it applies to the
 * calls it makes (the reserve per hop and the minimum viable budget) and its methods.
 *
 * <pre>{@code
 * FleetService order = fleet.service("order");
 * order.tier();                                 // Tier[service, rank 200, cap 3000ms]
 * order.policy().reserveFor(Duration.ofSeconds(3)); // PT0.065S with the default reserve 5 ms + 2 %
 * }</pre>
 *
 * @param name the service's name in the fleet, e.g. {@code "order"}
 * @param tier its tier
 * @param trust {@code TRUSTED} for an internal hop, {@code EDGE} for the public entry point
 * @param policy the budget arithmetic for its outgoing calls (reserve, minimum viable budget, tier order)
 * @param retryThrottling how clients throttle retries and hedges to it, or null
 * @param methods its methods by full name, in declaration order
 * @param location where it is declared
 */
public record FleetService(
    String name,
    Tier tier,
    Trust trust,
    BudgetPolicy policy,
    @Nullable RetryThrottling retryThrottling,
    Map<String, FleetMethod> methods,
    Location location) {

  public FleetService {
    requireNonNull(name, "name");
    requireNonNull(tier, "tier");
    requireNonNull(trust, "trust");
    requireNonNull(policy, "policy");
    requireNonNull(location, "location");
    methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
  }
}
