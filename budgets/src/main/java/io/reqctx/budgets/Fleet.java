package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The budget model of a fleet: its services, their methods with budgets and retry or hedging policies,
 * and the calls between them. Read it from a budget file ({@link FleetFiles#read}) or from proto options
 * ({@link ProtoFleets}); lint it with {@link FleetLint}; export it with {@link GrpcServiceConfigs}.
 *
 * <pre>{@code
 * Fleet fleet = FleetFiles.read(Path.of("fleet.yaml"));
 * LintReport report = FleetLint.check(fleet);
 * FleetMethod get = fleet.method("reqctx.samples.v1.CacheService/Get").orElseThrow();
 * }</pre>
 *
 * @param name the fleet's name (the file's {@code fleet:} value)
 * @param maxRetryAmplification the largest number of times one request may reach a method through
 *     retries and hedges stacked along a path (the product of attempts per layer)
 * @param services the services by name, in declaration order
 * @param location where the fleet is declared (its file)
 */
public record Fleet(String name, int maxRetryAmplification, Map<String, FleetService> services, Location location) {

  /** The default of {@link #maxRetryAmplification}: one layer of gRPC retries (at most 5 attempts). */
  public static final int DEFAULT_MAX_RETRY_AMPLIFICATION = 5;

  public Fleet {
    requireNonNull(name, "name");
    requireNonNull(location, "location");
    services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
    if (maxRetryAmplification < 1) {
      throw new IllegalArgumentException("maxRetryAmplification must be 1 or more, got " + maxRetryAmplification);
    }
    Map<String, String> seen = new LinkedHashMap<>();
    for (FleetService service : services.values()) {
      for (FleetMethod method : service.methods().values()) {
        String other = seen.putIfAbsent(method.name(), service.name());
        if (other != null) {
          throw new IllegalArgumentException("method " + method.name() + " is declared by both services '" + other
              + "' and '" + service.name() + "' (" + method.location() + "); a method belongs to one service");
        }
      }
    }
  }

  /**
   * The service named {@code name}.
   *
   * @throws IllegalArgumentException when the fleet has no such service (the message lists the names)
   */
  public FleetService service(String name) {
    requireNonNull(name, "name");
    FleetService service = services.get(name);
    if (service == null) {
      throw new IllegalArgumentException(
          "fleet '" + this.name + "' has no service '" + name + "'; services: " + String.join(", ", services.keySet()));
    }
    return service;
  }

  /** The method with this full name, in whichever service declares it. */
  public Optional<FleetMethod> method(String fullName) {
    requireNonNull(fullName, "fullName");
    for (FleetService service : services.values()) {
      FleetMethod method = service.methods().get(fullName);
      if (method != null) {
        return Optional.of(method);
      }
    }
    return Optional.empty();
  }

  /** Every method of every service, in declaration order. */
  public List<FleetMethod> methods() {
    List<FleetMethod> all = new ArrayList<>();
    for (FleetService service : services.values()) {
      all.addAll(service.methods().values());
    }
    return all;
  }
}
