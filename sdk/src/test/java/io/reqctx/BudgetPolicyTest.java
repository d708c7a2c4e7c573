package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reqctx.testing.StrictLeakExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class BudgetPolicyTest {
  private static final Callee CACHE = Callee.of("cache.CacheService/Get", Tier.CACHE);

  private final BudgetPolicy policy = BudgetPolicy.builder()
      .reserveFloor(Duration.ofMillis(10))
      .reserveFraction(0.1)
      .minimumViableBudget(Duration.ofMillis(20))
      .build();

  @Test
  void inboundBudgetIsCappedByOwnTier() {
    assertThat(policy.inboundBudget(Duration.ofHours(1), Tier.GATEWAY, null)).isEqualTo(Duration.ofSeconds(5));
    assertThat(policy.inboundBudget(null, Tier.CACHE, null)).isEqualTo(Duration.ofMillis(800));
    assertThat(policy.inboundBudget(Duration.ofMillis(120), Tier.SERVICE, null)).isEqualTo(Duration.ofMillis(120));
    assertThat(policy.inboundBudget(Duration.ofSeconds(2), Tier.SERVICE, Duration.ofMillis(700)))
        .isEqualTo(Duration.ofMillis(700));
  }

  @Test
  void expiredInboundBudgetBecomesZero() {
    assertThat(policy.inboundBudget(Duration.ofMillis(-5), Tier.SERVICE, null)).isZero();
  }

  @Test
  void reserveIsFloorPlusFractionOfRemaining() {
    assertThat(policy.reserveFor(Duration.ofMillis(1000))).isEqualTo(Duration.ofMillis(110));
    assertThat(policy.reserveFor(Duration.ZERO)).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void outboundBudgetTakesTheSmallestLimitAndSaysWhich() {
    var byRemaining = (OutboundBudget.Send) policy.outbound(Duration.ofMillis(500), Tier.SERVICE, CACHE);
    assertThat(byRemaining.budget()).isEqualTo(Duration.ofMillis(440));
    assertThat(byRemaining.reserve()).isEqualTo(Duration.ofMillis(60));
    assertThat(byRemaining.limitedBy()).isEqualTo(OutboundBudget.Limit.CALLER_REMAINING);

    var byCap = (OutboundBudget.Send) policy.outbound(Duration.ofSeconds(3), Tier.SERVICE, CACHE);
    assertThat(byCap.budget()).isEqualTo(Duration.ofMillis(800));
    assertThat(byCap.limitedBy()).isEqualTo(OutboundBudget.Limit.CALLEE_TIER_CAP);

    var byMethod = (OutboundBudget.Send) policy.outbound(
        Duration.ofSeconds(3), Tier.SERVICE, Callee.of("cache.CacheService/Scan", Tier.CACHE, Duration.ofMillis(300)));
    assertThat(byMethod.budget()).isEqualTo(Duration.ofMillis(300));
    assertThat(byMethod.limitedBy()).isEqualTo(OutboundBudget.Limit.CALLEE_METHOD_BUDGET);
  }

  @Test
  void callerWithoutDeadlineSendsTheCalleeCapWithoutReserve() {
    var send = (OutboundBudget.Send) policy.outbound(null, Tier.GATEWAY, CACHE);
    assertThat(send.budget()).isEqualTo(Duration.ofMillis(800));
    assertThat(send.reserve()).isZero();
  }

  @Test
  void failFastMessageGivesTheNumbersAndTheSwitch() {
    var failFast = (OutboundBudget.FailFast) policy.outbound(Duration.ofMillis(30), Tier.SERVICE, CACHE);

    assertThat(failFast.reason()).isEqualTo(OutboundBudget.FailFast.Reason.BUDGET_TOO_SMALL);
    assertThat(failFast.budget()).isEqualTo(Duration.ofMillis(17));
    assertThat(failFast.message())
        .contains("cache.CacheService/Get")
        .contains("budget 17ms")
        .contains("remaining 30ms")
        .contains("reserve 13ms")
        .contains("minimum viable budget 20ms")
        .contains("minimumViableBudget");
  }

  @Test
  void callingUpTheTierOrderIsAViolationAndSameTierDependsOnThePolicy() {
    assertThat(policy.isTierViolation(Tier.CACHE, Tier.SERVICE)).isTrue();
    assertThat(policy.isTierViolation(Tier.SERVICE, Tier.GATEWAY)).isTrue();
    assertThat(policy.isTierViolation(Tier.SERVICE, Tier.CACHE)).isFalse();
    assertThat(policy.isTierViolation(Tier.SERVICE, Tier.SERVICE)).isFalse();

    BudgetPolicy strict = BudgetPolicy.builder().sameTierCallsAllowed(false).build();
    assertThat(strict.isTierViolation(Tier.SERVICE, Tier.SERVICE)).isTrue();
  }

  @Test
  void tierViolationsAreReportedByDefaultAndRejectedWhenConfigured() {
    Callee gateway = Callee.of("gateway", Tier.GATEWAY);
    var reported = policy.outbound(Duration.ofSeconds(1), Tier.CACHE, gateway);
    assertThat(reported).isInstanceOf(OutboundBudget.Send.class);
    assertThat(reported.tierViolation()).isTrue();

    BudgetPolicy rejecting = BudgetPolicy.builder().rejectTierViolations(true).build();
    var rejected = (OutboundBudget.FailFast) rejecting.outbound(Duration.ofSeconds(1), Tier.CACHE, gateway);
    assertThat(rejected.reason()).isEqualTo(OutboundBudget.FailFast.Reason.TIER_VIOLATION);
    assertThat(rejected.message()).contains("tier gateway").contains("rejectTierViolations");
  }

  @Test
  void builderRejectsNonsenseWithTheValue() {
    assertThatThrownBy(() -> BudgetPolicy.builder().reserveFraction(0.9))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.9");
    assertThatThrownBy(() -> BudgetPolicy.builder().minimumViableBudget(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
    assertThatThrownBy(() -> BudgetPolicy.builder().reserveFloor(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void workInsideAHopUsesTheSameArithmeticWithoutTheTierOrder() {
    BudgetPolicy strict = BudgetPolicy.builder().reserveFloor(Duration.ofMillis(10)).reserveFraction(0.1)
        .minimumViableBudget(Duration.ofMillis(20)).sameTierCallsAllowed(false).rejectTierViolations(true).build();
    Callee attempt = Callee.of("cache attempt", Tier.SERVICE, Duration.ofMillis(300));

    var send = (OutboundBudget.Send) strict.within(Duration.ofMillis(500), attempt);
    assertThat(send.budget()).isEqualTo(Duration.ofMillis(300));
    assertThat(send.tierViolation()).isFalse();
    assertThat(strict.usable(Duration.ofMillis(500))).isEqualTo(Duration.ofMillis(440));
    assertThat(strict.within(Duration.ofMillis(25), attempt)).isInstanceOf(OutboundBudget.FailFast.class);
  }
}
