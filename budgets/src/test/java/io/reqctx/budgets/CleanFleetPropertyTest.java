package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.BudgetPolicy;
import io.reqctx.CancellableCtx;
import io.reqctx.OutboundBudget;
import io.reqctx.Tier;
import io.reqctx.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Random fleets, linted, then run: every hop opens a real {@link CancellableCtx} on a fake ticker with
 * the budget it received, asks its service's {@link BudgetPolicy} (the configured reserves) for each call's
 * budget, and lets every call take all the time it was given. Properties:
 *
 * <ul>
 *   <li>no call is ever sent with more than the caller's remaining time minus the reserve;
 *   <li>a fleet that lints clean never cuts a call below its declared budget and never refuses one;
 *   <li>a fleet whose run cuts or refuses a call has a callee-exceeds-caller or sequence-exceeds-budget
 *       finding (the lint misses none).
 * </ul>
 */
class CleanFleetPropertyTest {
  private static final int FLEETS = 300;
  private static final Tier[] TIERS = {Tier.GATEWAY, Tier.SERVICE, Tier.CACHE};

  @Test
  void lintCleanFleetsNeverCutACallAtRunTime() {
    Random random = new Random(20261201L);
    int clean = 0;
    int cut = 0;
    for (int i = 0; i < FLEETS; i++) {
      String yaml = randomFleet(random, i);
      Fleet fleet = FleetFiles.parse("random-" + i + ".yaml", yaml, List.of());
      LintReport report = FleetLint.check(fleet);
      Set<String> cutCalls = run(fleet);
      boolean budgetFindings = !report.findings(Rule.CALLEE_EXCEEDS_CALLER).isEmpty()
          || !report.findings(Rule.SEQUENCE_EXCEEDS_BUDGET).isEmpty();
      if (report.isClean()) {
        clean++;
        assertThat(cutCalls).as("clean fleet cut calls at run time:\n%s", yaml).isEmpty();
      }
      if (!cutCalls.isEmpty()) {
        cut++;
      }
      assertThat(budgetFindings).as("run-time cuts %s vs findings\n%s\n%s", cutCalls, report.render(ReportFormat.TEXT), yaml)
          .isEqualTo(!cutCalls.isEmpty());
    }
    // both kinds of fleet were generated, so neither direction holds trivially
    assertThat(clean).isGreaterThan(FLEETS / 10);
    assertThat(cut).isGreaterThan(FLEETS / 10);
  }

  /** Runs every root method; returns the calls that got less than their budget or were not sent. */
  private static Set<String> run(Fleet fleet) {
    Set<String> called = new HashSet<>();
    for (FleetMethod m : fleet.methods()) {
      for (CallStep step : m.calls()) {
        step.calls().forEach(c -> called.add(c.method()));
      }
    }
    Set<String> cut = new HashSet<>();
    for (FleetMethod m : fleet.methods()) {
      if (!called.contains(m.name())) {
        hop(fleet, m, null, cut);
      }
    }
    return cut;
  }

  private static void hop(Fleet fleet, FleetMethod method, @Nullable Duration inbound, Set<String> cut) {
    BudgetPolicy policy = fleet.service(method.service()).policy();
    Duration own = policy.inboundBudget(inbound, method.tier(), method.effectiveBudget().orElse(null));
    FakeTicker ticker = new FakeTicker();
    try (CancellableCtx ctx = CancellableCtx.newRoot(method.tier()).ticker(ticker).budget(own).open()) {
      for (CallStep step : method.calls()) {
        Duration longest = Duration.ZERO;
        for (CallStep.Call call : step.calls()) {
          FleetMethod callee = fleet.method(call.method()).orElseThrow();
          Duration remaining = ctx.ctx().remainingBudget().orElseThrow();
          OutboundBudget verdict = policy.outbound(remaining, method.tier(), callee.callee());
          if (verdict instanceof OutboundBudget.FailFast) {
            cut.add(method.name() + " -> " + callee.name() + " (not sent)");
            continue;
          }
          OutboundBudget.Send send = (OutboundBudget.Send) verdict;
          assertThat(send.budget()).as("sent to %s", callee.name())
              .isLessThanOrEqualTo(remaining.minus(policy.reserveFor(remaining)));
          if (send.limitedBy() == OutboundBudget.Limit.CALLER_REMAINING) {
            cut.add(method.name() + " -> " + callee.name());
          }
          hop(fleet, callee, send.budget(), cut);
          longest = send.budget().compareTo(longest) > 0 ? send.budget() : longest;
        }
        ticker.advance(longest); // the step takes all the time its calls were given
      }
    }
  }

  /** A fleet of 2 to 5 services (the first a gateway), 1 or 2 methods each, calls only to later services. */
  private static String randomFleet(Random random, int n) {
    int services = 2 + random.nextInt(4);
    List<List<String>> methods = new ArrayList<>();
    for (int s = 0; s < services; s++) {
      List<String> names = new ArrayList<>();
      for (int m = 0; m <= random.nextInt(2); m++) {
        names.add("f" + n + ".S" + s + "/M" + m);
      }
      methods.add(names);
    }
    StringBuilder yaml = new StringBuilder("fleet: random-" + n + "\nservices:\n");
    for (int s = 0; s < services; s++) {
      Tier tier = s == 0 ? Tier.GATEWAY : TIERS[1 + random.nextInt(2)];
      yaml.append("  s").append(s).append(":\n    tier: ").append(tier.name()).append('\n');
      yaml.append(String.format(Locale.ROOT, "    reserve: {floor: %dms, fraction: %s}%n",
          random.nextInt(11), List.of("0", "0.01", "0.02", "0.05", "0.1").get(random.nextInt(5))));
      yaml.append("    minimumViableBudget: ").append(1 + random.nextInt(30)).append("ms\n    methods:\n");
      for (String name : methods.get(s)) {
        yaml.append("      ").append(name).append(":\n");
        if (random.nextInt(10) < 8) {
          long cap = tier.cap().toMillis();
          yaml.append("        budget: ").append(20 + random.nextInt((int) cap - 19)).append("ms\n");
        }
        List<String> later = new ArrayList<>();
        for (int t = s + 1; t < services; t++) {
          later.addAll(methods.get(t));
        }
        int steps = later.isEmpty() ? 0 : random.nextInt(4);
        if (steps > 0) {
          yaml.append("        calls:\n");
        }
        for (int k = 0; k < steps; k++) {
          if (random.nextInt(10) < 3) {
            yaml.append("          - parallel:\n");
            for (int p = 0; p < 2; p++) {
              yaml.append("              - ").append(later.get(random.nextInt(later.size()))).append('\n');
            }
          } else {
            yaml.append("          - ").append(later.get(random.nextInt(later.size()))).append('\n');
          }
        }
      }
    }
    return yaml.toString();
  }
}
