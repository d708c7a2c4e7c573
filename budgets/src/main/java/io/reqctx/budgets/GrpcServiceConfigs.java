package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Exports the gRPC service configs of a fleet service's clients: for each service it calls, the JSON
 * that grpc-java ({@code ManagedChannelBuilder.defaultServiceConfig}), grpc-go
 * ({@code grpc.WithDefaultServiceConfig}), grpc-js ({@code 'grpc.service_config'}) and grpc-python
 * ({@code ('grpc.service_config', json)}) load as they are. Per called gRPC method one {@code
 * methodConfig} with {@code timeout} (what the client's budget policy sends it), {@code retryPolicy} or
 * {@code hedgingPolicy}; {@code retryThrottling} from the callee service when any method retries or hedges.
 *
 * <pre>{@code
 * Map<String, String> configs = GrpcServiceConfigs.forClient(fleet, "inventory");
 * // {cache={"methodConfig": [{"name": [{"service": "reqctx.samples.v1.CacheService", "method": "Get"}],
 * //                           "timeout": "0.800000000s"}]}}
 * ManagedChannel channel = ManagedChannelBuilder.forTarget(target)
 *     .defaultServiceConfig(new Gson().fromJson(configs.get("cache"), Map.class)).enableRetry().build();
 * }</pre>
 *
 * <p>The per-attempt cap of a retry policy has no field in the service config (gRPC's {@code timeout}
 * spans all attempts); it is exported to Envoy's {@code per_try_timeout} ({@link EnvoyRoutes}). Methods
 * that are not gRPC methods ({@code "GET /orders/{id}"}) are left out.
 */
public final class GrpcServiceConfigs {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  private GrpcServiceConfigs() {}

  /**
   * The service config JSON per callee service of {@code client}, in the order of the client's calls;
   * callee services without gRPC methods are left out.
   *
   * @throws IllegalArgumentException when the fleet has no service {@code client}
   */
  public static Map<String, String> forClient(Fleet fleet, String client) {
    requireNonNull(fleet, "fleet");
    requireNonNull(client, "client");
    Map<String, String> configs = new LinkedHashMap<>();
    for (Map.Entry<String, List<ClientPlan.CalledMethod>> callee : ClientPlan.of(fleet, client).entrySet()) {
      JsonObject config = serviceConfig(fleet.service(callee.getKey()), callee.getValue());
      if (config != null) {
        configs.put(callee.getKey(), GSON.toJson(config) + "\n");
      }
    }
    return configs;
  }

  private static @Nullable JsonObject serviceConfig(FleetService callee, List<ClientPlan.CalledMethod> methods) {
    JsonArray methodConfigs = new JsonArray();
    boolean retries = false;
    for (ClientPlan.CalledMethod called : methods) {
      FleetMethod method = called.method();
      if (!method.isGrpc()) {
        continue;
      }
      JsonObject config = new JsonObject();
      JsonObject name = new JsonObject();
      name.addProperty("service", GrpcNames.service(method.name()));
      name.addProperty("method", GrpcNames.method(method.name()));
      JsonArray names = new JsonArray();
      names.add(name);
      config.add("name", names);
      if (called.timeout() != null) {
        config.addProperty("timeout", duration(called.timeout()));
      }
      RetryPolicy retry = method.retry();
      if (retry != null && retry.attempts() > 1) {
        JsonObject policy = new JsonObject();
        policy.addProperty("maxAttempts", retry.attempts());
        policy.addProperty("initialBackoff", duration(retry.backoff().initial()));
        policy.addProperty("maxBackoff", duration(retry.backoff().max()));
        policy.addProperty("backoffMultiplier", retry.backoff().multiplier());
        policy.add("retryableStatusCodes", strings(retry.retryOn()));
        config.add("retryPolicy", policy);
        retries = true;
      }
      HedgingPolicy hedging = method.hedging();
      if (hedging != null) {
        JsonObject policy = new JsonObject();
        policy.addProperty("maxAttempts", hedging.attempts());
        policy.addProperty("hedgingDelay", duration(hedging.delay()));
        if (!hedging.nonFatal().isEmpty()) {
          policy.add("nonFatalStatusCodes", strings(hedging.nonFatal()));
        }
        config.add("hedgingPolicy", policy);
        retries = true;
      }
      methodConfigs.add(config);
    }
    if (methodConfigs.isEmpty()) {
      return null;
    }
    JsonObject root = new JsonObject();
    root.add("methodConfig", methodConfigs);
    RetryThrottling throttling = callee.retryThrottling();
    if (retries && throttling != null) {
      JsonObject t = new JsonObject();
      t.addProperty("maxTokens", throttling.maxTokens());
      t.addProperty("tokenRatio", throttling.tokenRatio());
      root.add("retryThrottling", t);
    }
    return root;
  }

  /**
   * The proto3 JSON form of a Duration: whole seconds as {@code "2s"}, others with all nine decimals, {@code
   * "0.800000000s"}. Nine decimals because grpc-js 1.14 reads the decimals as a whole number of nanoseconds
   * ({@code "0.800s"} would be 800 ns there); every other reader takes either form.
   */
  static String duration(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("a timeout cannot be negative: " + duration);
    }
    long seconds = duration.getSeconds();
    int nanos = duration.getNano();
    return nanos == 0 ? seconds + "s" : String.format(Locale.ROOT, "%d.%09ds", seconds, nanos);
  }

  private static JsonArray strings(List<String> values) {
    JsonArray array = new JsonArray();
    values.forEach(array::add);
    return array;
  }
}
