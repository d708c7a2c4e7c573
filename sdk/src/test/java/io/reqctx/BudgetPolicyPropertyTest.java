package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Properties of the budget arithmetic over many random inputs (fixed seeds, so failures reproduce). */
@ExtendWith(StrictLeakExtension.class)
class BudgetPolicyPropertyTest {
  private static final int CASES = 20_000;
  private static final List<Tier> TIERS = List.of(Tier.GATEWAY, Tier.SERVICE, Tier.CACHE);

  @Test
  void outgoingBudgetNeverExceedsRemainingMinusReserveNorCalleeCapNorMethodBudget() {
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < CASES; i++) {
      BudgetPolicy policy = randomPolicy(random);
      Duration remaining = Duration.ofNanos(random.nextLong(-50_000_000L, 10_000_000_000L));
      Callee callee = randomCallee(random);

      OutboundBudget verdict = policy.outbound(remaining, Tier.GATEWAY, callee);

      Duration budget = budgetOf(verdict);
      Duration reserve = policy.reserveFor(remaining);
      assertThat(budget).as("case %d: %s %s %s", i, policy, remaining, callee)
          .isLessThanOrEqualTo(remaining.minus(reserve))
          .isLessThanOrEqualTo(callee.tier().cap());
      if (callee.methodBudget() != null) {
        assertThat(budget).isLessThanOrEqualTo(callee.methodBudget());
      }
    }
  }

  @Test
  void failFastHappensExactlyWhenTheBudgetIsBelowTheMinimum() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < CASES; i++) {
      BudgetPolicy policy = randomPolicy(random);
      Duration remaining = Duration.ofNanos(random.nextLong(0, 200_000_000L));
      Callee callee = randomCallee(random);

      OutboundBudget verdict = policy.outbound(remaining, Tier.GATEWAY, callee);

      Duration expected = min(min(remaining.minus(policy.reserveFor(remaining)), callee.tier().cap()),
          callee.methodBudget() == null ? callee.tier().cap() : callee.methodBudget());
      boolean belowMinimum = expected.compareTo(policy.minimumViableBudget()) < 0;
      assertThat(verdict instanceof OutboundBudget.FailFast)
          .as("case %d: expected budget %s, minimum %s", i, expected, policy.minimumViableBudget())
          .isEqualTo(belowMinimum);
      assertThat(budgetOf(verdict)).isEqualTo(expected);
    }
  }

  @Test
  void budgetShrinksMonotonicallyAlongAnyChainOfHops() {
    SplittableRandom random = new SplittableRandom(2026);
    for (int chain = 0; chain < 2_000; chain++) {
      BudgetPolicy policy = randomPolicy(random);
      Duration remaining = policy.inboundBudget(
          Duration.ofMillis(random.nextLong(1, 20_000)), Tier.GATEWAY, null);
      Tier caller = Tier.GATEWAY;
      int hops = random.nextInt(1, 8);
      for (int hop = 0; hop < hops; hop++) {
        Callee callee = randomCallee(random);
        OutboundBudget verdict = policy.outbound(remaining, caller, callee);
        if (!(verdict instanceof OutboundBudget.Send send)) {
          break;
        }
        // What the callee works with, after its own inbound rules.
        Duration next = policy.inboundBudget(send.budget(), callee.tier(), callee.methodBudget());
        assertThat(next).as("chain %d hop %d", chain, hop).isLessThanOrEqualTo(remaining);
        if (!policy.reserveFloor().isZero()) {
          assertThat(next).isLessThan(remaining);
        }
        remaining = next;
        caller = callee.tier();
      }
    }
  }

  @Test
  void inboundBudgetIsTheSmallestOfInboundCapAndMethodBudgetAndNeverNegative() {
    SplittableRandom random = new SplittableRandom(11);
    BudgetPolicy policy = BudgetPolicy.defaults();
    for (int i = 0; i < CASES; i++) {
      Tier own = TIERS.get(random.nextInt(TIERS.size()));
      Duration inbound = random.nextBoolean() ? null : Duration.ofNanos(random.nextLong(-1_000_000_000L, 20_000_000_000L));
      Duration method = random.nextBoolean() ? null : Duration.ofMillis(random.nextLong(1, 10_000));

      Duration budget = policy.inboundBudget(inbound, own, method);

      assertThat(budget).isGreaterThanOrEqualTo(Duration.ZERO).isLessThanOrEqualTo(own.cap());
      if (inbound != null) {
        assertThat(budget).isLessThanOrEqualTo(inbound.isNegative() ? Duration.ZERO : inbound);
      }
      if (method != null) {
        assertThat(budget).isLessThanOrEqualTo(method);
      }
    }
  }

  private static BudgetPolicy randomPolicy(SplittableRandom random) {
    return BudgetPolicy.builder()
        .reserveFloor(Duration.ofMillis(random.nextInt(0, 50)))
        .reserveFraction(random.nextInt(0, 50) / 100.0)
        .minimumViableBudget(Duration.ofMillis(random.nextInt(1, 100)))
        .build();
  }

  private static Callee randomCallee(SplittableRandom random) {
    Tier tier = TIERS.get(random.nextInt(TIERS.size()));
    return random.nextBoolean()
        ? Callee.of("callee", tier)
        : Callee.of("callee", tier, Duration.ofMillis(random.nextLong(1, 6_000)));
  }

  private static Duration budgetOf(OutboundBudget verdict) {
    if (verdict instanceof OutboundBudget.Send send) {
      return send.budget();
    }
    return ((OutboundBudget.FailFast) verdict).budget();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
