package io.reqctx.samples.demo;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The five scenarios of the demo, in the order they run.
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
  NO_REQCTX("no-reqctx", "baseline: the same chain without reqctx, a static 2 s timeout per hop");

  private final String cliName;
  private final String description;

  Scenario(String cliName, String description) {
    this.cliName = cliName;
    this.description = description;
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
