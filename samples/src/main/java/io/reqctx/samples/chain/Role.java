package io.reqctx.samples.chain;

import io.reqctx.Tier;
import java.util.Locale;

/**
 * The four tiers of the demo chain, top to bottom: each calls the one below it.
 *
 * <pre>{@code
 * Role.forName("inventory").tier();   // Tier.SERVICE
 * }</pre>
 */
public enum Role {
  /** The public HTTP/JSON entry point (Armeria, reqctx in edge mode). */
  GATEWAY(Tier.GATEWAY),
  /** The order service (gRPC). */
  ORDER(Tier.SERVICE),
  /** The inventory service (gRPC); reads stock through the cache. */
  INVENTORY(Tier.SERVICE),
  /** The cache (gRPC), the leaf. */
  CACHE(Tier.CACHE);

  private final Tier tier;

  Role(Tier tier) {
    this.tier = tier;
  }

  /** The role named {@code name} in any case, e.g. {@code "order"}. */
  public static Role forName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  /** The reqctx tier of this role's server. */
  public Tier tier() {
    return tier;
  }

  /** Whether the role calls a downstream (every role but the cache). */
  public boolean hasDownstream() {
    return this != CACHE;
  }

  /** The lower-case name used on the command line and in service names. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
