package io.reqctx.samples.demo;

import io.reqctx.samples.chain.ChainMode;
import io.reqctx.samples.chain.ForeignTier;
import io.reqctx.samples.chain.ForeignTier.Language;
import io.reqctx.samples.chain.HopLog;
import io.reqctx.samples.chain.PolyglotExport;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.chain.TierServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The sample chain with tiers in other languages: the Java gateway and order, then an inventory and a
 * cache each played by a Java tier or a reference service from {@code samples/polyglot/}.
 *
 * <pre>{@code
 * try (PolyglotChain chain = PolyglotChain.start(PolyglotChain.Variant.NODE_PYTHON, polyglotDir, telemetry, log)) {
 *   URI gateway = chain.gatewayUri();
 * }
 * }</pre>
 */
public final class PolyglotChain implements AutoCloseable {
  /** The system property naming the directory of the reference services; default {@value #DEFAULT_DIR}. */
  public static final String DIR_PROPERTY = "reqctx.samples.polyglotDir";
  static final String DEFAULT_DIR = "samples/polyglot";

  /** Which language plays the inventory and the cache (null: Java). */
  public enum Variant {
    /** gateway (Java) -> order (Java) -> inventory (Node) -> cache (Python). */
    NODE_PYTHON(Language.NODE, Language.PYTHON),
    /** gateway (Java) -> order (Java) -> inventory (Python) -> cache (Java): a Java tier below a Python one. */
    PYTHON_JAVA(Language.PYTHON, null);

    final Language inventory;
    final @Nullable Language cache;

    Variant(Language inventory, @Nullable Language cache) {
      this.inventory = inventory;
      this.cache = cache;
    }

    /** E.g. {@code "inventory (node) -> cache (python)"}. */
    String describe() {
      return "inventory (" + inventory.cliName() + ") -> cache (" + (cache == null ? "java" : cache.cliName()) + ")";
    }
  }

  private final List<AutoCloseable> tiers;
  private final String gatewayTarget;
  private final List<ForeignTier> foreign;

  private PolyglotChain(List<AutoCloseable> tiers, String gatewayTarget, List<ForeignTier> foreign) {
    this.tiers = tiers;
    this.gatewayTarget = gatewayTarget;
    this.foreign = foreign;
  }

  /** The directory of the reference services: {@value #DIR_PROPERTY}, else {@value #DEFAULT_DIR}. */
  public static Path polyglotDir() {
    return Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR));
  }

  /** What is missing to run {@code variant} (with the command that installs it), or empty. */
  public static Optional<String> missing(Variant variant, Path polyglotDir) {
    Optional<String> inventory = ForeignTier.missing(variant.inventory, polyglotDir);
    return inventory.isPresent() || variant.cache == null ? inventory : ForeignTier.missing(variant.cache, polyglotDir);
  }

  /** Starts the chain, leaf first, every tier reporting its hops to {@code log}. */
  public static PolyglotChain start(Variant variant, Path polyglotDir, Telemetry telemetry, HopLog log) throws Exception {
    List<AutoCloseable> started = new ArrayList<>();
    List<ForeignTier> foreign = new ArrayList<>();
    try {
      Path config = PolyglotExport.write(Files.createTempDirectory("reqctx-polyglot"));
      String cache;
      if (variant.cache == null) {
        TierServer server = TierServer.start(Role.CACHE, 0, null, ChainMode.REQCTX, telemetry.forRole(Role.CACHE), log);
        started.add(0, server);
        cache = server.target();
      } else {
        ForeignTier tier = ForeignTier.start(variant.cache, Role.CACHE, null, polyglotDir, config, log);
        started.add(0, tier);
        foreign.add(tier);
        cache = tier.target();
      }
      ForeignTier inventory = ForeignTier.start(variant.inventory, Role.INVENTORY, cache, polyglotDir, config, log);
      started.add(0, inventory);
      foreign.add(0, inventory);
      String downstream = inventory.target();
      for (Role role : List.of(Role.ORDER, Role.GATEWAY)) {
        TierServer server = TierServer.start(role, 0, downstream, ChainMode.REQCTX, telemetry.forRole(role), log);
        started.add(0, server);
        downstream = server.target();
      }
      return new PolyglotChain(started, downstream, foreign);
    } catch (Exception e) {
      new PolyglotChain(started, "", foreign).close();
      throw e;
    }
  }

  /** The gateway's base URI. */
  public URI gatewayUri() {
    return URI.create("http://" + gatewayTarget);
  }

  /** The tiers in other languages, top first. */
  public List<ForeignTier> foreignTiers() {
    return List.copyOf(foreign);
  }

  /** Stops the tiers, gateway first. */
  @Override
  public void close() throws Exception {
    Exception failure = null;
    for (AutoCloseable tier : tiers) {
      try {
        tier.close();
      } catch (Exception e) {
        failure = e;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
