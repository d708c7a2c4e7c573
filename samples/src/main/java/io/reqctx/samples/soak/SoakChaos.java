package io.reqctx.samples.soak;

import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.chaos.Chaos;
import io.reqctx.chaos.ChaosRule;
import io.reqctx.chaos.Fault;
import io.reqctx.samples.chain.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The faults each tier injects during a soak, at small fractions on top of the soak's own slow hops
 * and client cancels: latency at the gateway and the cache and on the inventory's cache calls; cancel
 * storms at the inventory and the cache; the order's inbound budget halved and its calls to the
 * inventory sent with twice their budget (a peer's wrong reserve, both ways); and every tier watching
 * one request in ten for a ctx kept after it ended. No cancel storm at the gateway: the client could
 * not tell it from a failure of its own.
 */
final class SoakChaos {
  private SoakChaos() {}

  static List<ChaosRule> rules(Role role) {
    return switch (role) {
      case GATEWAY -> List.of(
          ChaosRule.onServer("/orders/*", 0.02, Fault.latency(ms(1), ms(30))),
          ChaosRule.onServer("/orders/*", 0.10, Fault.valueLeak()));
      case ORDER -> List.of(
          ChaosRule.onServer("*", 0.02, Fault.deadlineSkew(0.5, Duration.ZERO)),
          ChaosRule.onServer("*", 0.10, Fault.valueLeak()),
          ChaosRule.onClient("*", 0.02, Fault.deadlineSkew(2.0, Duration.ZERO)));
      case INVENTORY -> List.of(
          ChaosRule.onServer("*", 0.01, Fault.cancelStorm(ms(1), ms(300))),
          ChaosRule.onServer("*", 0.10, Fault.valueLeak()),
          ChaosRule.onClient("*", 0.02, Fault.latency(ms(1), ms(20))));
      case CACHE -> List.of(
          ChaosRule.onServer("*", 0.05, Fault.latency(ms(1), ms(50))),
          ChaosRule.onServer("*", 0.01, Fault.cancelStorm(ms(1), ms(200))),
          ChaosRule.onServer("*", 0.10, Fault.valueLeak()));
    };
  }

  /** The cache's rules while it is stalled: every request waits {@code stall} first. */
  static List<ChaosRule> stalled(Duration stall) {
    List<ChaosRule> rules = new ArrayList<>();
    rules.add(ChaosRule.onServer("*", 1, Fault.latency(stall, stall)));
    rules.addAll(rules(Role.CACHE));
    return rules;
  }

  static Chaos forRole(Role role, long seed, boolean on, OpenTelemetry otel) {
    return Chaos.builder().seed(seed * 31 + role.ordinal()).rules(on ? rules(role) : List.of()).openTelemetry(otel).build();
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
