package io.reqctx.samples.demo;

import static io.reqctx.samples.demo.ScenarioAssertions.assertBudgetsShrinkUnderCaps;
import static io.reqctx.samples.demo.ScenarioAssertions.hop;
import static io.reqctx.samples.demo.ScenarioAssertions.hops;
import static io.reqctx.samples.demo.ScenarioAssertions.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import io.reqctx.testing.StrictLeakExtension;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each scenario of the demo against real servers on loopback (both chains started once), judged on its hops. */
@ExtendWith(StrictLeakExtension.class)
class ScenariosTest {
  static Telemetry telemetry;
  static Scenarios scenarios;

  @BeforeAll
  static void startChains() throws Exception {
    telemetry = Telemetry.create(Telemetry.Exporters.none(), null);
    scenarios = Scenarios.start(telemetry);
  }

  @AfterAll
  static void stopChains() throws Exception {
    scenarios.close();
    telemetry.close();
  }

  @Test
  void happyRequestGivesEachHopLessThanTheOneBeforeAndNoMoreThanItsCap() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.HAPPY);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    List<Hop> hops = hops(result);
    assertBudgetsShrinkUnderCaps(hops);
    assertThat(hops.get(0).getReceivedBudgetMs()).isBetween(1900, 2000);
  }

  @Test
  void slowCacheIsCutAtItsBudgetAndInventoryAnswersFromItsFallback() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.SLOW_CACHE);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    Hop inventory = hop(result, Role.INVENTORY);
    Hop cache = hop(result, Role.CACHE);
    assertThat(inventory.getOutcome()).isEqualTo(HopOutcome.HOP_OUTCOME_DEGRADED_FALLBACK);
    // The cache's own deadline and the inventory's call deadline fire at the same instant: either may cut it.
    assertThat(cache.getOutcome()).isIn(HopOutcome.HOP_OUTCOME_DEADLINE_EXCEEDED, HopOutcome.HOP_OUTCOME_CANCELLED);
    assertThat(cache.getReceivedBudgetMs()).isLessThanOrEqualTo(800);
    assertThat(cache.getElapsedMs()).isBetween(cache.getReceivedBudgetMs() - 50, cache.getReceivedBudgetMs() + 50);
    Hop gateway = hop(result, Role.GATEWAY);
    assertThat(gateway.getElapsedMs()).isLessThan(gateway.getReceivedBudgetMs());
    assertThat(report(result, Role.CACHE).skippedSteps()).isPositive();
  }

  @Test
  void clientCancelStopsEveryHopWithinMillisecondsAndTheCacheSkipsItsWork() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.CLIENT_CANCEL);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    assertThat(result.hops()).hasSize(4).allSatisfy(report -> {
      assertThat(report.cancelSeenNanos()).isPresent();
      assertThat(report.hop().getOutcome()).isEqualTo(HopOutcome.HOP_OUTCOME_CANCELLED);
      assertThat(report.hop().getElapsedMs()).isLessThan(Scenarios.CANCEL_CACHE_DELAY_MS);
    });
    assertThat(report(result, Role.CACHE).skippedSteps()).isPositive();
  }

  @Test
  void tightBudgetFailsFastAtTheOrderServiceWithA504AndTheReason() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.TIGHT_BUDGET);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    assertThat(result.hops()).extracting(HopReport::role).containsExactly(Role.GATEWAY, Role.ORDER);
    assertThat(hop(result, Role.ORDER).getOutcome()).isEqualTo(HopOutcome.HOP_OUTCOME_REJECTED_BUDGET);
    assertThat(result.facts().get(0)).startsWith("HTTP 504").contains("below the minimum viable budget 250ms");
  }

  @Test
  void withoutReqctxTheChainKeepsWorkingAfterTheClientLeft() throws Exception {
    ScenarioResult result = scenarios.run(Scenario.NO_REQCTX);

    assertThat(result.passed()).as(Waterfall.render(result)).isTrue();
    assertThat(result.hops()).hasSize(4).allSatisfy(report -> {
      assertThat(report.cancelSeenNanos()).isEmpty();
      assertThat(report.hop().getOutcome()).isEqualTo(HopOutcome.HOP_OUTCOME_OK);
    });
    assertThat(report(result, Role.CACHE).hop().getElapsedMs()).isGreaterThanOrEqualTo(Scenarios.CANCEL_CACHE_DELAY_MS);
  }
}
