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
  void insideAnAttemptTheReserveIsTakenOnceFromTheRequestsTimeAndTheAttemptBoundsTheRest() {
    // The request has 500 ms: reserve 60 ms. An attempt given 440 ms (reserve taken) sends 440, not 440 - 54.
    var reservedOnce = (OutboundBudget.Send) policy.outboundInAttempt(
        Duration.ofMillis(500), Duration.ofMillis(440), Tier.SERVICE, CACHE, null);
    assertThat(reservedOnce.budget()).isEqualTo(Duration.ofMillis(440));
    assertThat(reservedOnce.reserve()).isEqualTo(Duration.ofMillis(60));
    assertThat(policy.outbound(Duration.ofMillis(440), Tier.SERVICE, CACHE))
        .isEqualTo(new OutboundBudget.Send(CACHE, Duration.ofMillis(386), Duration.ofMillis(54),
            OutboundBudget.Limit.CALLER_REMAINING, false)); // what taking it again would have sent

    // A shorter attempt bound (a per-attempt cap) decides; a longer one leaves the request's arithmetic.
    var byAttempt = (OutboundBudget.Send) policy.outboundInAttempt(
        Duration.ofMillis(500), Duration.ofMillis(100), Tier.SERVICE, CACHE, null);
    assertThat(byAttempt.budget()).isEqualTo(Duration.ofMillis(100));
    assertThat(byAttempt.limitedBy()).isEqualTo(OutboundBudget.Limit.CALLER_REMAINING);
    assertThat(policy.outboundInAttempt(Duration.ofMillis(500), Duration.ofMillis(480), Tier.SERVICE, CACHE, null))
        .isEqualTo(policy.outbound(Duration.ofMillis(500), Tier.SERVICE, CACHE));
    var byCap = (OutboundBudget.Send) policy.outboundInAttempt(
        Duration.ofSeconds(3), Duration.ofSeconds(2), Tier.SERVICE, CACHE, null);
    assertThat(byCap.budget()).isEqualTo(Duration.ofMillis(800));
    assertThat(byCap.limitedBy()).isEqualTo(OutboundBudget.Limit.CALLEE_TIER_CAP);

    // A request without a deadline: the attempt's bound is sent as is, without a reserve.
    var noDeadline = (OutboundBudget.Send) policy.outboundInAttempt(
        null, Duration.ofMillis(300), Tier.SERVICE, CACHE, null);
    assertThat(noDeadline.budget()).isEqualTo(Duration.ofMillis(300));
    assertThat(noDeadline.reserve()).isZero();
  }

  @Test
  void anAttemptTooShortToBeViableFailsFastWithTheAttemptsNumbers() {
    var failFast = (OutboundBudget.FailFast) policy.outboundInAttempt(
        Duration.ofMillis(500), Duration.ofMillis(15), Tier.SERVICE, CACHE, null);
    assertThat(failFast.reason()).isEqualTo(Rejection.Reason.BUDGET_EXHAUSTED);
    assertThat(failFast.message()).contains("budget 15ms (remaining 15ms - reserve 0ms)")
        .contains("minimum viable budget 20ms");
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

    assertThat(failFast.reason()).isEqualTo(io.reqctx.Rejection.Reason.BUDGET_EXHAUSTED);
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
    assertThat(rejected.reason()).isEqualTo(io.reqctx.Rejection.Reason.TIER_VIOLATION);
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

  @Test
  void longLivedMethodsDropTheTierCapAndMayHaveNoDeadlineAtAll() {
    Callee watch = Callee.longLived("config.Config/Watch", Tier.CACHE);
    Callee export = Callee.longLived("report.Report/Export", Tier.CACHE, Duration.ofMinutes(10));
    assertThat(policy.inbound(null, Tier.CACHE, watch)).isEmpty();
    assertThat(policy.inbound(Duration.ofSeconds(30), Tier.CACHE, watch)).contains(Duration.ofSeconds(30));
    assertThat(policy.inbound(null, Tier.CACHE, export)).contains(Duration.ofMinutes(10));
    assertThat(policy.inbound(null, Tier.CACHE, CACHE)).contains(Duration.ofMillis(800));
    assertThat(policy.inbound(null, Tier.CACHE, null)).contains(Duration.ofMillis(800));

    assertThat(policy.outbound(null, Tier.SERVICE, watch)).isInstanceOf(OutboundBudget.SendWithoutDeadline.class);
    assertThat(policy.outbound(null, Tier.SERVICE, export)).isInstanceOfSatisfying(OutboundBudget.Send.class, send -> {
      assertThat(send.budget()).isEqualTo(Duration.ofMinutes(10));
      assertThat(send.limitedBy()).isEqualTo(OutboundBudget.Limit.CALLEE_METHOD_BUDGET);
    });
    assertThat(policy.outbound(Duration.ofSeconds(60), Tier.SERVICE, watch))
        .isInstanceOfSatisfying(OutboundBudget.Send.class, send -> assertThat(send.budget()).isEqualTo(Duration.ofMillis(53_990)));
  }

  @Test
  void hugeCapsBudgetsAndReservesSaturateInsteadOfOverflowing() {
    Duration huge = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
    Duration hundredYears = Duration.ofDays(36_500);
    Tier endless = Tier.define("policy-endless", 9, huge);
    assertThat(policy.inboundBudget(huge, endless, huge)).isEqualTo(hundredYears);
    assertThat(policy.inbound(huge, endless, Callee.longLived("x", endless, huge))).contains(hundredYears);
    assertThat(policy.outbound(null, endless, Callee.of("x", endless, huge)))
        .isInstanceOfSatisfying(OutboundBudget.Send.class, send -> assertThat(send.budget()).isEqualTo(hundredYears));
    assertThat(policy.outbound(huge, endless, Callee.of("x", endless, huge)))
        .isInstanceOfSatisfying(OutboundBudget.Send.class, send -> assertThat(send.budget()).isEqualTo(policy.usable(huge)));
    BudgetPolicy hugeReserve = BudgetPolicy.builder().reserveFloor(huge).minimumViableBudget(huge).build();
    assertThat(hugeReserve.usable(huge)).isNotNull();
    assertThat(hugeReserve.outbound(Duration.ofSeconds(1), Tier.SERVICE, CACHE))
        .isInstanceOfSatisfying(OutboundBudget.FailFast.class, failFast -> assertThat(failFast.message()).contains("reserve"));
    assertThat(hugeReserve.toString()).contains(hundredYears.toMillis() + "ms");
    assertThat(endless.toString()).contains(hundredYears.toMillis() + "ms");
  }
}
