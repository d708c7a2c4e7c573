package io.reqctx.samples.demo;

import static io.reqctx.samples.demo.ScenarioAssertions.assertBudgetsShrinkUnderCaps;
import static io.reqctx.samples.demo.ScenarioAssertions.hop;
import static io.reqctx.samples.demo.ScenarioAssertions.hops;
import static io.reqctx.samples.demo.ScenarioAssertions.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The polyglot scenarios on loopback: a Node inventory and a Python cache (and a Java cache below a
 * Python inventory) between the Java tiers, judged on the hops each process reported. Installs the
 * reference services' dependencies with the project's own {@code samples/polyglot/install.sh} first.
 */
class PolyglotScenariosTest {
  static Telemetry telemetry;
  static Scenarios scenarios;

  @BeforeAll
  static void startChains() throws Exception {
    Path dir = PolyglotChain.polyglotDir();
    File log = File.createTempFile("polyglot-install", ".log");
    Process install = new ProcessBuilder("sh", dir.resolve("install.sh").toString()).redirectErrorStream(true)
        .redirectOutput(log).start();
    if (!install.waitFor(300, TimeUnit.SECONDS)) {
      install.destroyForcibly();
      fail(dir.resolve("install.sh") + " took more than 300 s:\n" + Files.readString(log.toPath()));
    }
    assertThat(install.exitValue()).as("%s failed:%n%s", dir.resolve("install.sh"), Files.readString(log.toPath()))
        .isZero();
    telemetry = Telemetry.create(Telemetry.Exporters.none(), null);
    scenarios = Scenarios.startPolyglot(telemetry);
  }

  @AfterAll
  static void stopChains() throws Exception {
    if (scenarios != null) {
      scenarios.close();
    }
    if (telemetry != null) {
      telemetry.close();
    }
  }

  @Test
  void budgetsShrinkUnderTheCapsThroughNodeAndPythonInOneTraceWithFreshParentIds() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.POLYGLOT);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    List<Hop> hops = hops(result);
    assertBudgetsShrinkUnderCaps(hops);
    assertThat(hops).extracting(Hop::getOutcome).containsOnly(HopOutcome.HOP_OUTCOME_OK);
  }

  @Test
  void aJavaCacheBelowAPythonInventoryGetsTheShrunkBudgetInTheSameTrace() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.POLYGLOT_JAVA_LEAF);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    List<Hop> hops = hops(result);
    assertBudgetsShrinkUnderCaps(hops);
  }

  @Test
  void slowPythonCacheIsCutAtItsBudgetAndTheNodeInventoryAnswersFromItsFallback() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.POLYGLOT_SLOW_CACHE);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    assertThat(hop(result, Role.INVENTORY).getOutcome()).isEqualTo(HopOutcome.HOP_OUTCOME_DEGRADED_FALLBACK);
    Hop cache = hop(result, Role.CACHE);
    assertThat(cache.getOutcome()).isIn(HopOutcome.HOP_OUTCOME_DEADLINE_EXCEEDED, HopOutcome.HOP_OUTCOME_CANCELLED);
    assertThat(cache.getReceivedBudgetMs()).isLessThanOrEqualTo(800);
    assertThat(report(result, Role.CACHE).skippedSteps()).isPositive();
  }

  @Test
  void clientCancelStopsTheNodeAndPythonHopsToo() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.POLYGLOT_CLIENT_CANCEL);

    // Judged on what each hop reported, not on timing windows (the machine may be loaded).
    assertThat(result.hops()).as(Waterfall.render(result)).hasSize(4).allSatisfy(report -> {
      assertThat(report.cancelSeenNanos()).isPresent();
      assertThat(report.hop().getOutcome()).isEqualTo(HopOutcome.HOP_OUTCOME_CANCELLED);
    });
    assertThat(report(result, Role.CACHE).skippedSteps()).isPositive();
  }

  @Test
  void theNodeInventoryRefusesACacheCallItHasNoBudgetFor() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.POLYGLOT_TIGHT_BUDGET);

    assertThat(result.hops()).as(Waterfall.render(result)).extracting(HopReport::role).containsExactly(Role.INVENTORY);
    Hop inventory = hop(result, Role.INVENTORY);
    if (inventory.getReceivedBudgetMs() > 0) { // on a loaded machine the 15 ms may be gone on arrival
      assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
      assertThat(inventory.getNote()).contains("below the minimum viable budget 10ms");
    } else {
      assertThat(inventory.getOutcome()).isEqualTo(HopOutcome.HOP_OUTCOME_DEADLINE_EXCEEDED);
    }
  }

  @Test
  void theNodeMiddlewarePassesItsOwnTestsInNodesTestRunner() throws Exception {
    Path node = PolyglotChain.polyglotDir().resolve("node");
    assertThat(run(node, "node", "--test", "test/")).contains("# fail 0").doesNotContain("# pass 0");
  }

  @Test
  void thePythonMiddlewarePassesItsOwnTestsInUnittest() throws Exception {
    Path python = PolyglotChain.polyglotDir().resolve("python");
    assertThat(run(python, "/usr/bin/python3", "-m", "unittest", "discover", "-s", ".")).contains("\nOK");
  }

  /** Runs a command in {@code dir}, bounded in time; fails with its output unless it exits 0. */
  private static String run(Path dir, String... command) throws Exception {
    File log = File.createTempFile("polyglot-run", ".log");
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log).start();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail(String.join(" ", command) + " took more than 120 s:\n" + Files.readString(log.toPath()));
      }
      String output = Files.readString(log.toPath());
      assertThat(process.exitValue()).as("%s in %s:%n%s", String.join(" ", command), dir, output).isZero();
      return output;
    } finally {
      Files.deleteIfExists(log.toPath());
    }
  }
}
