package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Exports the outbound routes of a fleet service as an Envoy {@code RouteConfiguration} (v3, JSON): one
 * virtual host per callee service (domain and cluster named after it), one route per called gRPC method
 * ({@code match.path = "/pkg.Service/Method"}) with {@code timeout}, and for retried methods a {@code
 * retry_policy} with {@code retry_on}, {@code num_retries}, {@code per_try_timeout} and {@code
 * retry_back_off}.
 *
 * <pre>{@code
 * String routes = EnvoyRoutes.forClient(fleet, "order");
 * // {"name": "order-outbound", "virtual_hosts": [{"name": "inventory", "domains": ["inventory", "inventory:*"],
 * //   "routes": [{"match": {"path": "/reqctx.samples.v1.InventoryService/CheckStock"},
 * //               "route": {"cluster": "inventory", "timeout": "2s"}}]}]}
 * }</pre>
 *
 * <p>Only what maps exactly is exported: Envoy's backoff doubles per retry, so a retry policy with another
 * {@code multiplier} is refused; {@code retryOn} codes must be among CANCELLED, DEADLINE_EXCEEDED,
 * INTERNAL, RESOURCE_EXHAUSTED and UNAVAILABLE (Envoy's gRPC retry conditions); hedging with a delay has
 * no Envoy equivalent and is refused too. Use {@link GrpcServiceConfigs} for those methods.
 */
public final class EnvoyRoutes {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
  private static final List<String> ENVOY_GRPC_CODES =
      List.of("CANCELLED", "DEADLINE_EXCEEDED", "INTERNAL", "RESOURCE_EXHAUSTED", "UNAVAILABLE");

  private EnvoyRoutes() {}

  /**
   * The route configuration JSON of {@code client}'s outbound calls.
   *
   * @throws IllegalArgumentException when the fleet has no such service, or a called method has a policy
   *     Envoy cannot express (the message names the method and the field)
   */
  public static String forClient(Fleet fleet, String client) {
    requireNonNull(fleet, "fleet");
    requireNonNull(client, "client");
    JsonArray hosts = new JsonArray();
    for (Map.Entry<String, List<ClientPlan.CalledMethod>> callee : ClientPlan.of(fleet, client).entrySet()) {
      JsonArray routes = new JsonArray();
      for (ClientPlan.CalledMethod called : callee.getValue()) {
        if (called.method().isGrpc()) {
          routes.add(route(callee.getKey(), called));
        }
      }
      if (routes.isEmpty()) {
        continue;
      }
      JsonObject host = new JsonObject();
      host.addProperty("name", callee.getKey());
      JsonArray domains = new JsonArray();
      domains.add(callee.getKey());
      domains.add(callee.getKey() + ":*");
      host.add("domains", domains);
      host.add("routes", routes);
      hosts.add(host);
    }
    JsonObject config = new JsonObject();
    config.addProperty("name", client + "-outbound");
    config.add("virtual_hosts", hosts);
    return GSON.toJson(config) + "\n";
  }

  private static JsonObject route(String cluster, ClientPlan.CalledMethod called) {
    FleetMethod method = called.method();
    JsonObject match = new JsonObject();
    match.addProperty("path", "/" + method.name());
    JsonObject action = new JsonObject();
    action.addProperty("cluster", cluster);
    // 0s disables Envoy's default 15 s route timeout (a long-lived method without a bound).
    action.addProperty("timeout", called.timeout() == null ? "0s" : GrpcServiceConfigs.duration(called.timeout()));
    if (method.hedging() != null) {
      throw new IllegalArgumentException(method.name() + " (" + method.hedging().location() + ") hedges with a "
          + DurationText.format(method.hedging().delay()) + " delay, which Envoy routes cannot express; export it with"
          + " --grpc-service-config, or drop the hedging policy");
    }
    RetryPolicy retry = method.retry();
    if (retry != null && retry.attempts() > 1) {
      if (retry.backoff().multiplier() != 2.0) {
        throw new IllegalArgumentException(method.name() + " (" + retry.location() + ") backs off with multiplier "
            + retry.backoff().multiplier() + "; Envoy's backoff always doubles: set 'multiplier: 2' to export it");
      }
      List<String> conditions = new ArrayList<>();
      for (String code : retry.retryOn()) {
        if (!ENVOY_GRPC_CODES.contains(code)) {
          throw new IllegalArgumentException(method.name() + " (" + retry.location() + ") retries on " + code
              + ", which Envoy has no gRPC retry condition for; Envoy retries on " + String.join(", ", ENVOY_GRPC_CODES));
        }
        conditions.add(code.toLowerCase(Locale.ROOT).replace('_', '-'));
      }
      JsonObject policy = new JsonObject();
      policy.addProperty("retry_on", String.join(",", conditions));
      policy.addProperty("num_retries", retry.attempts() - 1);
      policy.addProperty("per_try_timeout", GrpcServiceConfigs.duration(retry.perAttempt()));
      JsonObject backoff = new JsonObject();
      backoff.addProperty("base_interval", GrpcServiceConfigs.duration(retry.backoff().initial()));
      backoff.addProperty("max_interval", GrpcServiceConfigs.duration(retry.backoff().max()));
      policy.add("retry_back_off", backoff);
      action.add("retry_policy", policy);
    }
    JsonObject route = new JsonObject();
    route.add("match", match);
    route.add("route", action);
    return route;
  }
}
