package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import io.reqctx.Callee;
import io.reqctx.Tier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One method of a fleet service with its budget and the policies its callers apply.
 *
 * <pre>{@code
 * FleetMethod get = fleet.method("reqctx.samples.v1.CacheService/Get").orElseThrow();
 * get.effectiveBudget();   // Optional[PT0.8S]
 * get.callee();            // Callee[name=reqctx.samples.v1.CacheService/Get, tier=cache, methodBudget=PT0.8S]
 * }</pre>
 *
 * @param name the full method name as interceptors see it ({@code "pkg.Service/Method"} for gRPC, any
 *     name for other entry points, e.g. {@code "GET /orders/{id}"})
 * @param service the name of the fleet service that serves it
 * @param tier the tier of that service
 * @param budget the budget the budget file declares, or null (then the proto's applies, or only the tier cap)
 * @param streaming whether it streams (the file's value, else the proto's)
 * @param longLived the long-lived policy, or null
 * @param idempotent whether calling it twice does no harm (retries and hedging need it)
 * @param retry how callers retry it, or null
 * @param hedging how callers hedge it, or null
 * @param calls what it calls, step by step
 * @param proto what its {@code .proto} declares, or null when no proto source names it
 * @param location where it is declared
 * @param fieldLocations where single fields ({@code budget}, {@code tier}, {@code streaming}) are declared
 */
public record FleetMethod(
    String name,
    String service,
    Tier tier,
    @Nullable Duration budget,
    Streaming streaming,
    @Nullable LongLived longLived,
    boolean idempotent,
    @Nullable RetryPolicy retry,
    @Nullable HedgingPolicy hedging,
    List<CallStep> calls,
    @Nullable ProtoDeclaration proto,
    Location location,
    Map<String, Location> fieldLocations) {

  public FleetMethod {
    requireNonNull(name, "name");
    requireNonNull(service, "service");
    requireNonNull(tier, "tier");
    requireNonNull(streaming, "streaming");
    requireNonNull(location, "location");
    calls = List.copyOf(calls);
    fieldLocations = Map.copyOf(fieldLocations);
    if (budget != null && (budget.isNegative() || budget.isZero())) {
      throw new IllegalArgumentException("budget of " + name + " must be positive, got " + budget);
    }
    if (retry != null && hedging != null) {
      throw new IllegalArgumentException(
          name + " has both a retry and a hedging policy; gRPC allows only one of them per method (" + location + ")");
    }
  }

  /** The budget that applies: the file's, else the proto's, else none (only the tier cap). */
  public Optional<Duration> effectiveBudget() {
    if (budget != null) {
      return Optional.of(budget);
    }
    return proto == null ? Optional.empty() : Optional.ofNullable(proto.budget());
  }

  /** The method as the budget policy sees it when someone calls it. */
  public Callee callee() {
    Duration own = effectiveBudget().orElse(null);
    return own == null ? Callee.of(name, tier) : Callee.of(name, tier, own);
  }

  /** How many times one call of this method may reach it: retry or hedging attempts, else 1. */
  public int attemptsPerCall() {
    if (retry != null) {
      return retry.attempts();
    }
    return hedging != null ? hedging.attempts() : 1;
  }

  /** Where {@code field} is declared, else where the method is. */
  public Location locationOf(String field) {
    return fieldLocations.getOrDefault(field, location);
  }

  /** Whether the name has the gRPC form {@code pkg.Service/Method}. */
  public boolean isGrpc() {
    return GrpcNames.isFullMethodName(name);
  }
}
