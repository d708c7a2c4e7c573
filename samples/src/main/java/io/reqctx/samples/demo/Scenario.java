package io.reqctx.samples.demo;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The scenarios of the demo, in the order they run: five on the Java chain ({@link #standard()}), then
 * five with tiers in Node and Python ({@link #polyglot()}).
 *
 * <pre>{@code
 * Scenario.forName("slow-cache");   // SLOW_CACHE
 * }</pre>
 */
public enum Scenario {
  /** A 2 s request through every hop: each hop receives less than the one before. */
  HAPPY("happy", "a 2 s request flows through every hop"),
  /** The cache sleeps past its cap: cut at its budget, inventory answers from a fallback. */
  SLOW_CACHE("slow-cache", "the cache is slower than its budget; inventory answers from a fallback"),
  /** The client gives up after 150 ms: every hop below stops within milliseconds. */
  CLIENT_CANCEL("client-cancel", "the client gives up after 150 ms"),
  /** A 200 ms budget: the order service refuses to call inventory, the client gets 504 with the reason. */
  TIGHT_BUDGET("tight-budget", "the client sends a 200 ms budget"),
  /** The same chain without reqctx, static timeouts only: the work that goes on after the client left. */
  NO_REQCTX("no-reqctx", "baseline: the same chain without reqctx, a static 2 s timeout per hop"),
  /** {@link #HAPPY} through a Node inventory and a Python cache: one trace, a fresh parent-id per call. */
  POLYGLOT("polyglot", "gateway (java) -> order (java) -> inventory (node) -> cache (python): a 2 s request", true),
  /** {@link #SLOW_CACHE} with the Python cache cut at its budget and the Node inventory's fallback. */
  POLYGLOT_SLOW_CACHE("polyglot-slow-cache",
      "the python cache is slower than its budget; the node inventory answers from a fallback", true),
  /** {@link #CLIENT_CANCEL} through the Node inventory and the Python cache. */
  POLYGLOT_CLIENT_CANCEL("polyglot-client-cancel",
      "the client gives up after 150 ms; the node inventory and the python cache stop", true),
  /** A caller gives the Node inventory 15 ms: it refuses to call the cache and answers from its fallback. */
  POLYGLOT_TIGHT_BUDGET("polyglot-tight-budget",
      "a caller gives the node inventory 15 ms: too little to call the python cache", true),
  /** A Java cache below a Python inventory. */
  POLYGLOT_JAVA_LEAF("polyglot-java-leaf",
      "gateway (java) -> order (java) -> inventory (python) -> cache (java): a 2 s request", true);

  private final String cliName;
  private final String description;
  private final boolean polyglot;

  Scenario(String cliName, String description) {
    this(cliName, description, false);
  }

  Scenario(String cliName, String description, boolean polyglot) {
    this.cliName = cliName;
    this.description = description;
    this.polyglot = polyglot;
  }

  /** The scenarios {@code demo} runs by default: the Java chain's, which need nothing but a JDK. */
  public static List<Scenario> standard() {
    return Arrays.stream(values()).filter(s -> !s.polyglot).toList();
  }

  /**
   * The scenarios with tiers in Node and Python ({@code samples/polyglot/}, installed by its {@code
   * install.sh}).
   */
  public static List<Scenario> polyglot() {
    return Arrays.stream(values()).filter(s -> s.polyglot).toList();
  }

  /** Whether the scenario runs tiers in other languages. */
  public boolean isPolyglot() {
    return polyglot;
  }

  /** The scenario named {@code name} on the command line. */
  public static Scenario forName(String name) {
    for (Scenario scenario : values()) {
      if (scenario.cliName.equals(name)) {
        return scenario;
      }
    }
    throw new IllegalArgumentException("unknown scenario '" + name + "'; one of: "
        + Arrays.stream(values()).map(Scenario::cliName).collect(Collectors.joining(", ")));
  }

  /** The name on the command line, e.g. {@code "slow-cache"}. */
  public String cliName() {
    return cliName;
  }

  /** One line saying what the scenario does. */
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return cliName;
  }
}
