package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.reqctx.Callee;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Hedging;
import io.reqctx.resilience4j.grpc.ResilienceClientInterceptor;
import org.jspecify.annotations.Nullable;

/**
 * Builds reqctx-resilience4j's client guards from a {@link Fleet}, so the hedging the lint checks is the
 * hedging the client does: a method's {@code hedging} ({@code attempts}, {@code delay}, {@code
 * nonFatal}) becomes a budget-aware {@link Hedging} on that method's guard, and its {@code idempotent}
 * flag lets the guard hedge it. The same file exports gRPC's own {@code hedgingPolicy}
 * ({@link GrpcServiceConfigs}); a channel should use one or the other, not both. Needs
 * reqctx-resilience4j on the class path (this module does not bring it).
 *
 * <pre>{@code
 * Fleet fleet = FleetFiles.read(Path.of("fleet.yaml"));
 * DownstreamGuard base = FleetGuards.guard(fleet, "order", "inventory")   // order's budget policy
 *     .retryBudget(RetryBudget.ofDefaults())                             // hedges spend its tokens
 *     .build();
 * ClientInterceptor resilience = FleetGuards.interceptor(fleet, "inventory", base).build();
 * Channel channel = ClientInterceptors.intercept(raw, reqctxClientInterceptor, resilience);
 * }</pre>
 */
public final class FleetGuards {
  private FleetGuards() {}

  /**
   * A guard builder for {@code client}'s calls to {@code callee}, named after the callee, with the
   * client's budget policy (its reserve and minimum viable budget decide whether a hedge still fits) and
   * the callee's tier (its cap bounds each attempt's budget).
   *
   * @throws IllegalArgumentException when the fleet has no such service
   */
  public static DownstreamGuard.Builder guard(Fleet fleet, String client, String callee) {
    requireNonNull(fleet, "fleet");
    FleetService caller = fleet.service(requireNonNull(client, "client"));
    FleetService target = fleet.service(requireNonNull(callee, "callee"));
    return DownstreamGuard.builder(callee).policy(caller.policy()).callee(Callee.of(callee, target.tier()));
  }

  /**
   * An interceptor builder guarding every gRPC method of {@code callee} with {@code base}; a method the
   * file hedges gets {@code base} with its {@link #hedging} and, when the file marks it idempotent, taken
   * as idempotent (a method the file does not mark idempotent is hedged only if its descriptor says it
   * is idempotent or safe).
   *
   * @throws IllegalArgumentException when the fleet has no such service, or a hedging policy has more
   *     attempts than a gRPC client sends (5)
   */
  public static ResilienceClientInterceptor.Builder interceptor(Fleet fleet, String callee, DownstreamGuard base) {
    requireNonNull(fleet, "fleet");
    requireNonNull(base, "base");
    FleetService target = fleet.service(requireNonNull(callee, "callee"));
    ResilienceClientInterceptor.Builder builder = ResilienceClientInterceptor.builder();
    for (FleetMethod method : target.methods().values()) {
      if (!method.isGrpc()) {
        continue;
      }
      HedgingPolicy policy = method.hedging();
      DownstreamGuard guard = policy == null ? base : base.withHedging(hedging(policy, method));
      builder.method(method.name(), method.idempotent() ? guard.withIdempotent(true) : guard);
    }
    return builder;
  }

  /**
   * The budget-aware {@link Hedging} of a file's hedging policy: its attempts, its delay, its {@code
   * nonFatal} status codes (names of {@link Status.Code}).
   *
   * @throws IllegalArgumentException when the policy has more than 5 attempts or an unknown status code
   */
  public static Hedging hedging(HedgingPolicy policy) {
    return hedging(requireNonNull(policy, "policy"), null);
  }

  private static Hedging hedging(HedgingPolicy policy, @Nullable FleetMethod method) {
    String where = (method == null ? "hedging policy" : method.name() + " hedging") + " (" + policy.location() + ")";
    if (policy.attempts() > 5) {
      throw new IllegalArgumentException(where + " has " + policy.attempts()
          + " attempts; gRPC clients send at most 5: lower hedging.attempts in the fleet file");
    }
    Status.Code[] codes = new Status.Code[policy.nonFatal().size()];
    for (int i = 0; i < codes.length; i++) {
      String name = policy.nonFatal().get(i);
      try {
        codes[i] = Status.Code.valueOf(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + " lists nonFatal status '" + name
            + "', which is no gRPC status code (e.g. UNAVAILABLE)", e);
      }
    }
    return Hedging.builder()
        .maxAttempts(policy.attempts())
        .delay(policy.delay())
        .nonFatal(ResilienceClientInterceptor.statusCodes(codes))
        .build();
  }
}
