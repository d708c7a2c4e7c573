package io.reqctx.samples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.proto.Hop;
import java.util.List;

/** What the scenario tests read from a result, and the budget checks they share. */
final class ScenarioAssertions {
  private ScenarioAssertions() {}

  /** Every hop received less than the one above it, no more than it was sent, and no more than its cap. */
  static void assertBudgetsShrinkUnderCaps(List<Hop> hops) {
    assertThat(hops).extracting(Hop::getTier).containsExactly("gateway", "service", "service", "cache");
    for (int i = 1; i < hops.size(); i++) {
      assertThat(hops.get(i).getReceivedBudgetMs()).isLessThan(hops.get(i - 1).getReceivedBudgetMs())
          .isLessThanOrEqualTo(hops.get(i - 1).getSentBudgetMs())
          .isLessThanOrEqualTo(hops.get(i).getCapMs());
    }
    assertThat(hops).extracting(Hop::getTraceId).containsOnly(hops.get(0).getTraceId()).doesNotContain("");
  }

  static List<Hop> hops(ScenarioResult result) {
    return result.hops().stream().map(HopReport::hop).toList();
  }

  static HopReport report(ScenarioResult result, Role role) {
    return result.hops().stream().filter(h -> h.role() == role).findFirst().orElseThrow();
  }

  static Hop hop(ScenarioResult result, Role role) {
    return report(result, role).hop();
  }
}
