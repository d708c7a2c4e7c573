package io.reqctx;

import static java.util.Objects.requireNonNull;

import io.reqctx.internal.registry.TierRegistry;
import io.reqctx.internal.wire.TierName;
import java.time.Duration;
import java.util.Optional;

/**
 * A level in the call hierarchy with a budget cap. Requests flow from higher ranks to lower ranks
 * ({@link #GATEWAY} 5 s &gt; {@link #SERVICE} 3 s &gt; {@link #CACHE} 800 ms) and a hop never gets more
 * time than its tier's cap. Tiers are compared by identity; {@link #define} registers a user tier so
 * that it can be read back from the wire by name.
 *
 * <p>The registry of defined tiers is JVM-wide and a definition lasts as long as the JVM: define each
 * tier once, in a static constant, and give tiers that only a test needs names no other test uses.
 *
 * <pre>{@code
 * static final Tier DATABASE = Tier.define("database", 50, Duration.ofMillis(500));
 * Tier.forName("database"); // Optional[Tier[database, rank 50, cap 500ms]]
 * }</pre>
 */
public final class Tier {
  /** The public entry point: 5 s cap. */
  public static final Tier GATEWAY = define("gateway", 300, Duration.ofSeconds(5));
  /** An internal service: 3 s cap. */
  public static final Tier SERVICE = define("service", 200, Duration.ofSeconds(3));
  /** A cache or other fast leaf: 800 ms cap. */
  public static final Tier CACHE = define("cache", 100, Duration.ofMillis(800));

  private final String name;
  private final int rank;
  private final Duration cap;

  private Tier(String name, int rank, Duration cap) {
    this.name = name;
    this.rank = rank;
    this.cap = cap;
  }

  /**
   * Defines (or returns the identical, already defined) tier.
   *
   * @throws IllegalArgumentException when the name does not match {@code [a-z][a-z0-9_-]{0,31}}, the cap
   *     is not positive, or a tier of that name exists with a different rank or cap
   */
  public static Tier define(String name, int rank, Duration cap) {
    requireNonNull(name, "name");
    requireNonNull(cap, "cap");
    if (!TierName.isValid(name)) { // the reqctx-tier header grammar
      throw new IllegalArgumentException(
          "tier name '" + name + "' must match [a-z][a-z0-9_-]{0,31} (it travels in the reqctx-tier header)");
    }
    if (cap.isNegative() || cap.isZero()) {
      throw new IllegalArgumentException("tier '" + name + "' needs a positive cap, got " + cap);
    }
    Tier tier = TierRegistry.computeIfAbsent(name, n -> new Tier(n, rank, cap));
    if (tier.rank != rank || !tier.cap.equals(cap)) {
      throw new IllegalArgumentException(
          "tier '" + name + "' is already defined as " + tier + "; cannot redefine it with rank "
              + rank + " and cap " + Deadline.saturated(cap).toMillis() + "ms");
    }
    return tier;
  }

  /** The tier defined under {@code name}, if any. */
  public static Optional<Tier> forName(String name) {
    return TierRegistry.get(requireNonNull(name, "name"));
  }

  /** The wire name, e.g. {@code "cache"}. */
  public String name() {
    return name;
  }

  /** Higher ranks call lower ranks. */
  public int rank() {
    return rank;
  }

  /** The largest budget a hop of this tier receives. */
  public Duration cap() {
    return cap;
  }

  /** Whether this tier ranks strictly above {@code other}. */
  public boolean isAbove(Tier other) {
    return rank > other.rank;
  }

  @Override
  public String toString() {
    return "Tier[" + name + ", rank " + rank + ", cap " + Deadline.saturated(cap).toMillis() + "ms]";
  }
}
