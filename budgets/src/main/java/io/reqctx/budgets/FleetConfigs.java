package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import io.reqctx.Callee;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds the interceptors' configurations from a {@link Fleet}, so the numbers the lint checks are the
 * numbers the interceptors enforce: a server's tier, trust, budget policy and method budgets; a client's
 * callee tier, per-method callees and the calling service's budget policy (its reserve and minimum
 * viable budget). The builders are returned so the caller adds what the fleet does not describe
 * (OpenTelemetry, accepted keys, spans).
 *
 * <pre>{@code
 * Fleet fleet = FleetFiles.read(Path.of("fleet.yaml"));
 * ServerConfig server = FleetConfigs.server(fleet, "order").openTelemetry(otel).build();
 * ClientConfig toInventory = FleetConfigs.client(fleet, "order", "inventory").openTelemetry(otel).build();
 * }</pre>
 *
 * <p>Long-lived methods become {@linkplain Callee#longLived long-lived callees}: exempt from the tier's
 * cap at run time, bounded by their {@code maxDuration} when the file gives one, as the lint assumes.
 */
public final class FleetConfigs {
  private FleetConfigs() {}

  /**
   * The configuration of {@code service}'s server entry points: its tier and trust, its budget policy, and
   * the budgets of its methods by full method name.
   *
   * @throws IllegalArgumentException when the fleet has no such service
   */
  public static ServerConfig.Builder server(Fleet fleet, String service) {
    requireNonNull(fleet, "fleet");
    FleetService own = fleet.service(requireNonNull(service, "service"));
    Map<String, Callee> budgets = callees(own);
    return ServerConfig.builder(own.tier(), own.trust())
        .policy(own.policy())
        .methodBudgets(budgets::get);
  }

  /**
   * The configuration of {@code client}'s calls to {@code callee}: the callee's tier and method budgets,
   * the client's budget policy, and sensitive keys allowed when the callee is an internal (trusted) hop.
   *
   * @throws IllegalArgumentException when the fleet has no such service
   */
  public static ClientConfig.Builder client(Fleet fleet, String client, String callee) {
    requireNonNull(fleet, "fleet");
    FleetService caller = fleet.service(requireNonNull(client, "client"));
    FleetService target = fleet.service(requireNonNull(callee, "callee"));
    Map<String, Callee> callees = callees(target);
    return ClientConfig.builder(target.tier())
        .trusted(target.trust() == Trust.TRUSTED)
        .policy(caller.policy())
        .methodCallees(callees::get);
  }

  private static Map<String, Callee> callees(FleetService service) {
    Map<String, Callee> callees = new HashMap<>();
    for (FleetMethod method : service.methods().values()) {
      LongLived longLived = method.longLived();
      if (longLived == null) {
        callees.put(method.name(), method.callee());
      } else {
        callees.put(method.name(), longLived.maxDuration() != null
            ? Callee.longLived(method.name(), method.tier(), longLived.maxDuration())
            : Callee.longLived(method.name(), method.tier()));
      }
    }
    return Map.copyOf(callees);
  }
}
