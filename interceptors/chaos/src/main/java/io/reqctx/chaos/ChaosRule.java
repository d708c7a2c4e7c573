package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

/**
 * Which requests get a {@link Fault}: those of one side (server or client) whose method or path
 * matches {@code target}, a {@code fraction} of them, picked by the {@link Chaos} seed and the
 * request id.
 *
 * <p>{@code target} is {@code "*"} (everything), an exact gRPC full method name ({@code
 * "shop.Orders/Get"}) or HTTP path ({@code "/orders/42"}), or a prefix ending in {@code *} ({@code
 * "shop.Orders/*"}, {@code "/orders/*"}).
 *
 * <pre>{@code
 * ChaosRule.onServer("reqctx.samples.v1.InventoryService/*", 0.02, Fault.cancelStorm(ms(1), ms(300)));
 * ChaosRule.onClient("*", 0.10, Fault.latency(ms(5), ms(50)));
 * }</pre>
 *
 * @param side where the rule applies
 * @param target the method or path pattern
 * @param fraction the share of matching requests that get the fault, 0 to 1
 * @param fault what happens to them
 */
public record ChaosRule(Side side, String target, double fraction, Fault fault) {

  /** Where a rule applies. */
  public enum Side {
    /** Inbound requests: gRPC server interceptor, Armeria service decorator. */
    SERVER,
    /** Outgoing calls: gRPC client interceptor, Armeria client decorator. */
    CLIENT
  }

  public ChaosRule {
    requireNonNull(side, "side");
    requireNonNull(target, "target");
    requireNonNull(fault, "fault");
    if (target.isEmpty() || target.indexOf('*') >= 0 && target.indexOf('*') != target.length() - 1) {
      throw new IllegalArgumentException(
          "target must be \"*\", an exact method or path, or a prefix ending in '*', got '" + target + "'");
    }
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be between 0 and 1, got " + fraction);
    }
    if (side == Side.CLIENT && fault instanceof Fault.ValueLeak) {
      throw new IllegalArgumentException("valueLeak watches inbound requests: use ChaosRule.onServer");
    }
  }

  /** A rule for inbound requests. */
  public static ChaosRule onServer(String target, double fraction, Fault fault) {
    return new ChaosRule(Side.SERVER, target, fraction, fault);
  }

  /** A rule for outgoing calls. */
  public static ChaosRule onClient(String target, double fraction, Fault fault) {
    return new ChaosRule(Side.CLIENT, target, fraction, fault);
  }

  /** Whether {@code methodOrPath} is one of this rule's targets. */
  public boolean matches(String methodOrPath) {
    if (target.equals("*")) {
      return true;
    }
    return target.endsWith("*")
        ? methodOrPath.startsWith(target.substring(0, target.length() - 1))
        : methodOrPath.equals(target);
  }
}
