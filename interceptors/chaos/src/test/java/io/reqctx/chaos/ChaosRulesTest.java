package io.reqctx.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Which requests the rules pick and what delays they draw: seeded, order-independent, at the configured fraction. */
class ChaosRulesTest {
  private static final String METHOD = "shop.Orders/Get";

  private static Chaos chaos(long seed, ChaosRule... rules) {
    return Chaos.builder().seed(seed).rules(List.of(rules)).openTelemetry(OpenTelemetry.noop()).build();
  }

  private static List<String> ids(int n) {
    return IntStream.range(0, n).mapToObj(i -> "req-" + i).toList();
  }

  /** Within five standard deviations of n × p: fails by chance about once in 1.7 million runs. */
  private static void assertBinomial(long picked, int n, double p) {
    double sigma = Math.sqrt(n * p * (1 - p));
    assertThat((double) picked).as("picked %d of %d at fraction %s", picked, n, p)
        .isBetween(n * p - 5 * sigma, n * p + 5 * sigma);
  }

  @Test
  void eachRulePicksItsFractionOfRequests() {
    for (double fraction : new double[] {0.01, 0.05, 0.3, 0.7}) {
      try (Chaos chaos = chaos(7, ChaosRule.onServer("*", fraction, Fault.latency(Duration.ZERO, Duration.ofMillis(5))))) {
        long picked = ids(20_000).stream()
            .filter(id -> !chaos.rulesFor(ChaosRule.Side.SERVER, METHOD, id).isEmpty()).count();
        assertBinomial(picked, 20_000, fraction);
      }
    }
  }

  @Test
  void fractionsZeroAndOnePickNoneAndAll() {
    try (Chaos none = chaos(1, ChaosRule.onServer("*", 0, Fault.deadlineSkew(0.5, Duration.ZERO)));
        Chaos all = chaos(1, ChaosRule.onServer("*", 1, Fault.deadlineSkew(0.5, Duration.ZERO)))) {
      assertThat(ids(2_000)).allSatisfy(id -> {
        assertThat(none.rulesFor(ChaosRule.Side.SERVER, METHOD, id)).isEmpty();
        assertThat(all.rulesFor(ChaosRule.Side.SERVER, METHOD, id)).hasSize(1);
      });
    }
  }

  @Test
  void theSameSeedPicksTheSameRequestsWithTheSameDelaysInAnyOrderAndAnotherSeedPicksOthers() {
    ChaosRule rule = ChaosRule.onServer("*", 0.2, Fault.cancelStorm(Duration.ofMillis(1), Duration.ofMillis(300)));
    try (Chaos first = chaos(42, rule); Chaos again = chaos(42, rule); Chaos other = chaos(43, rule)) {
      List<String> forward = new ArrayList<>();
      List<String> backward = new ArrayList<>();
      List<String> otherSeed = new ArrayList<>();
      List<String> ids = ids(5_000);
      for (String id : ids) {
        Decision d = first.plan(ChaosRule.Side.SERVER, METHOD, id).cancelStorm;
        if (d != null) {
          forward.add(id + "@" + d.delay().toNanos());
        }
        Decision o = other.plan(ChaosRule.Side.SERVER, METHOD, id).cancelStorm;
        if (o != null) {
          otherSeed.add(id + "@" + o.delay().toNanos());
        }
      }
      for (int i = ids.size() - 1; i >= 0; i--) {
        Decision d = again.plan(ChaosRule.Side.SERVER, METHOD, ids.get(i)).cancelStorm;
        if (d != null) {
          backward.add(0, ids.get(i) + "@" + d.delay().toNanos());
        }
      }
      assertThat(backward).isEqualTo(forward).isNotEmpty();
      assertThat(otherSeed).isNotEqualTo(forward);
      // Independent seeds overlap like independent draws: about 0.2 of the picked ones.
      long common = otherSeed.stream().map(s -> s.substring(0, s.indexOf('@')))
          .filter(id -> forward.stream().anyMatch(f -> f.startsWith(id + "@"))).count();
      assertBinomial(common, forward.size(), 0.2);
    }
  }

  @Test
  void delaysAreDrawnOverTheWholeRangeAndNeverOutsideIt() {
    try (Chaos chaos = chaos(3, ChaosRule.onServer("*", 1, Fault.latency(Duration.ofMillis(20), Duration.ofMillis(80))))) {
      List<Long> delays = ids(4_000).stream()
          .map(id -> chaos.plan(ChaosRule.Side.SERVER, METHOD, id).latency.delay().toNanos()).toList();
      assertThat(delays).allSatisfy(d -> assertThat(d).isBetween(20_000_000L, 80_000_000L));
      assertThat(delays.stream().filter(d -> d < 26_000_000L).count()).isGreaterThan(200); // lowest tenth
      assertThat(delays.stream().filter(d -> d > 74_000_000L).count()).isGreaterThan(200); // highest tenth
    }
  }

  @Test
  void rulesApplyOnlyToTheirSideAndTargets() {
    try (Chaos chaos = chaos(5,
        ChaosRule.onServer("shop.Orders/*", 1, Fault.latency(Duration.ZERO, Duration.ZERO)),
        ChaosRule.onServer("/orders/7", 1, Fault.deadlineSkew(2, Duration.ZERO)),
        ChaosRule.onClient("*", 1, Fault.cancelStorm(Duration.ZERO, Duration.ZERO)))) {
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, "shop.Orders/Get", "a")).extracting(ChaosRule::fault)
          .singleElement().isInstanceOf(Fault.Latency.class);
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, "shop.Carts/Get", "a")).isEmpty();
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, "/orders/7", "a")).extracting(ChaosRule::fault)
          .singleElement().isInstanceOf(Fault.DeadlineSkew.class);
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, "/orders/70", "a")).isEmpty();
      assertThat(chaos.rulesFor(ChaosRule.Side.CLIENT, "shop.Carts/Get", "a")).extracting(ChaosRule::fault)
          .singleElement().isInstanceOf(Fault.CancelStorm.class);
    }
  }

  @Test
  void theFirstRuleOfEachKindThatPicksARequestApplies() {
    ChaosRule first = ChaosRule.onServer("*", 1, Fault.latency(Duration.ofMillis(1), Duration.ofMillis(1)));
    ChaosRule second = ChaosRule.onServer("*", 1, Fault.latency(Duration.ofMillis(9), Duration.ofMillis(9)));
    ChaosRule skew = ChaosRule.onServer("*", 1, Fault.deadlineSkew(0.5, Duration.ZERO));
    try (Chaos chaos = chaos(5, first, second, skew)) {
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, METHOD, "x")).containsExactly(skew, first);
      assertThat(chaos.plan(ChaosRule.Side.SERVER, METHOD, "x").latency.delay()).isEqualTo(Duration.ofMillis(1));
    }
  }

  @Test
  void newRulesApplyToRequestsThatArriveAfterwards() {
    try (Chaos chaos = chaos(5)) {
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, METHOD, "x")).isEmpty();
      chaos.setRules(List.of(ChaosRule.onServer("*", 1, Fault.latency(Duration.ofSeconds(2), Duration.ofSeconds(2)))));
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, METHOD, "x")).hasSize(1);
      chaos.setRules(List.of());
      assertThat(chaos.rulesFor(ChaosRule.Side.SERVER, METHOD, "x")).isEmpty();
    }
  }

  @Test
  void skewScalesAndShiftsABudgetAndNeverMakesItNegative() {
    assertThat(new Fault.DeadlineSkew(0.5, Duration.ZERO).apply(1_000)).isEqualTo(500);
    assertThat(new Fault.DeadlineSkew(1, Duration.ofNanos(300)).apply(1_000)).isEqualTo(1_300);
    assertThat(new Fault.DeadlineSkew(1, Duration.ofNanos(-3_000)).apply(1_000)).isZero();
    assertThat(new Fault.DeadlineSkew(1e12, Duration.ZERO).apply(Long.MAX_VALUE / 2)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void badRulesAreRefusedWithTheValueAndTheRule() {
    assertThatThrownBy(() -> ChaosRule.onServer("*", 1.5, Fault.latency(Duration.ZERO, Duration.ZERO)))
        .hasMessageContaining("between 0 and 1, got 1.5");
    assertThatThrownBy(() -> ChaosRule.onServer("shop.*/Get", 0.1, Fault.latency(Duration.ZERO, Duration.ZERO)))
        .hasMessageContaining("prefix ending in '*'");
    assertThatThrownBy(() -> ChaosRule.onClient("*", 0.1, Fault.valueLeak()))
        .hasMessageContaining("use ChaosRule.onServer");
    assertThatThrownBy(() -> Fault.latency(Duration.ofMillis(5), Duration.ofMillis(1)))
        .hasMessageContaining("min 5ms, max 1ms");
    assertThatThrownBy(() -> Fault.deadlineSkew(-1, Duration.ZERO)).hasMessageContaining(">= 0, got -1.0");
  }
}
