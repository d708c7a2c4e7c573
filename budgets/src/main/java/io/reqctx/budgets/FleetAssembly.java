package io.reqctx.budgets;

import io.reqctx.BudgetPolicy;
import io.reqctx.Tier;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Collects a fleet from its sources: the services and methods of a budget file, then the methods the
 * proto sources declare (attached to the file's method of the same name, or added to the service that
 * serves the same gRPC service, or to a new service named after the gRPC service).
 */
final class FleetAssembly {
  final String name;
  final Location location;
  int maxRetryAmplification = Fleet.DEFAULT_MAX_RETRY_AMPLIFICATION;
  BudgetPolicy defaultPolicy = BudgetPolicy.defaults();
  @Nullable RetryThrottling defaultThrottling;
  final Map<String, ServiceDraft> services = new LinkedHashMap<>();

  FleetAssembly(String name, Location location) {
    this.name = name;
    this.location = location;
  }

  static final class ServiceDraft {
    final String name;
    final Tier tier;
    final Location location;
    Trust trust = Trust.TRUSTED;
    @Nullable BudgetPolicy policy;
    @Nullable RetryThrottling throttling;
    final Map<String, MethodDraft> methods = new LinkedHashMap<>();

    ServiceDraft(String name, Tier tier, Location location) {
      this.name = name;
      this.tier = tier;
      this.location = location;
    }
  }

  static final class MethodDraft {
    final String name;
    final Location location;
    @Nullable Duration budget;
    @Nullable Streaming streaming;
    @Nullable LongLived longLived;
    boolean idempotent;
    @Nullable RetryPolicy retry;
    @Nullable HedgingPolicy hedging;
    List<CallStep> calls = List.of();
    @Nullable ProtoDeclaration proto;
    final Map<String, Location> fields = new LinkedHashMap<>();

    MethodDraft(String name, Location location) {
      this.name = name;
      this.location = location;
    }
  }

  /** Attaches each declaration to its method, or adds the method where it belongs. */
  void addProto(List<ProtoDeclaration> declarations) {
    Map<String, List<ProtoDeclaration>> unmatched = new LinkedHashMap<>();
    for (ProtoDeclaration declaration : declarations) {
      MethodDraft method = findMethod(declaration.method());
      if (method != null) {
        method.proto = declaration;
      } else {
        unmatched.computeIfAbsent(declaration.grpcService(), s -> new ArrayList<>()).add(declaration);
      }
    }
    for (Map.Entry<String, List<ProtoDeclaration>> group : unmatched.entrySet()) {
      ServiceDraft host = serviceServing(group.getKey());
      if (host == null) {
        host = newServiceFor(group.getKey(), group.getValue());
        if (host == null) {
          continue; // no budget option on any method: nothing for the fleet
        }
        services.put(host.name, host);
      }
      for (ProtoDeclaration declaration : group.getValue()) {
        MethodDraft method = new MethodDraft(declaration.method(), declaration.location());
        method.proto = declaration;
        host.methods.put(method.name, method);
      }
    }
  }

  private @Nullable MethodDraft findMethod(String fullName) {
    for (ServiceDraft service : services.values()) {
      MethodDraft method = service.methods.get(fullName);
      if (method != null) {
        return method;
      }
    }
    return null;
  }

  private @Nullable ServiceDraft serviceServing(String grpcService) {
    for (ServiceDraft service : services.values()) {
      for (String method : service.methods.keySet()) {
        if (GrpcNames.isFullMethodName(method) && GrpcNames.service(method).equals(grpcService)) {
          return service;
        }
      }
    }
    return null;
  }

  private @Nullable ServiceDraft newServiceFor(String grpcService, List<ProtoDeclaration> declarations) {
    ProtoDeclaration first = null;
    for (ProtoDeclaration declaration : declarations) {
      if (declaration.tier() == null) {
        continue;
      }
      if (first == null) {
        first = declaration;
      } else if (first.tier() != declaration.tier()) {
        throw new FleetFormatException(declaration.location(),
            declaration.method() + " names tier '" + declaration.tier().name() + "' but " + first.method() + " ("
                + first.location() + ") names '" + first.tier().name() + "': the methods of one service share its tier."
                + " Fix the option, or list the service in the budget file with its tier");
      }
    }
    if (first == null) {
      return null;
    }
    return new ServiceDraft(grpcService, first.tier(), first.location());
  }

  Fleet build() {
    Map<String, FleetService> built = new LinkedHashMap<>();
    for (ServiceDraft service : services.values()) {
      Map<String, FleetMethod> methods = new LinkedHashMap<>();
      for (MethodDraft m : service.methods.values()) {
        Streaming streaming = m.streaming != null ? m.streaming : m.proto != null ? m.proto.streaming() : Streaming.NONE;
        methods.put(m.name, new FleetMethod(m.name, service.name, service.tier, m.budget, streaming, m.longLived,
            m.idempotent, m.retry, m.hedging, m.calls, m.proto, m.location, m.fields));
      }
      BudgetPolicy policy = service.policy != null ? service.policy : defaultPolicy;
      RetryThrottling throttling = service.throttling != null ? service.throttling : defaultThrottling;
      built.put(service.name,
          new FleetService(service.name, service.tier, service.trust, policy, throttling, methods, service.location));
    }
    return new Fleet(name, maxRetryAmplification, built, location);
  }
}
