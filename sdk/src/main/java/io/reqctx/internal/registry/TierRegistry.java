package io.reqctx.internal.registry;

import static java.util.Objects.requireNonNull;

import io.reqctx.Tier;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * Not API: the JVM-wide registry behind {@link Tier#define} and {@link Tier#forName}, so that a tier
 * read from the wire by name is the one the application defined. Global mutable state: a definition
 * lasts as long as the JVM. It lives here, outside {@code io.reqctx}, only so that tests which define
 * throwaway tiers can {@linkplain #forget remove} them and leave nothing behind for later test classes.
 */
public final class TierRegistry {
  private static final ConcurrentMap<String, Tier> BY_NAME = new ConcurrentHashMap<>();

  private TierRegistry() {}

  /** The tier registered under {@code name}, registering {@code create}'s result when there is none. */
  public static Tier computeIfAbsent(String name, Function<String, Tier> create) {
    return BY_NAME.computeIfAbsent(requireNonNull(name, "name"), create);
  }

  /** The tier registered under {@code name}, if any. */
  public static Optional<Tier> get(String name) {
    return Optional.ofNullable(BY_NAME.get(requireNonNull(name, "name")));
  }

  /**
   * For tests only: removes the tier registered under {@code name}, so that a test's throwaway tier
   * does not outlive the test. Never for {@link Tier#GATEWAY}, {@link Tier#SERVICE}, {@link Tier#CACHE}.
   */
  public static void forget(String name) {
    requireNonNull(name, "name");
    Tier tier = BY_NAME.get(name);
    if (tier == Tier.GATEWAY || tier == Tier.SERVICE || tier == Tier.CACHE) {
      throw new IllegalArgumentException("the built-in tier '" + name + "' cannot be forgotten");
    }
    BY_NAME.remove(name);
  }
}
