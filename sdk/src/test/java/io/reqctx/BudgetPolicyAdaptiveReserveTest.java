package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BudgetPolicyAdaptiveReserveTest {
  static final BudgetPolicy ADAPTIVE = BudgetPolicy.builder()
      .adaptiveReserve(Duration.ofMillis(2), Duration.ofMillis(30)).build();
  static final Callee SERVICE = Callee.of("svc", Tier.SERVICE);

  @Test
  void aKnownTransitIsTheReserveWithinTheBounds() {
    Duration remaining = Duration.ofMillis(1000);
    assertThat(ADAPTIVE.reserveFor(remaining, Duration.ofMillis(7))).isEqualTo(Duration.ofMillis(7));
    assertThat(ADAPTIVE.reserveFor(remaining, Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(2));
    assertThat(ADAPTIVE.reserveFor(remaining, Duration.ofMillis(-1))).isEqualTo(Duration.ofMillis(2));
    assertThat(ADAPTIVE.reserveFor(remaining, Duration.ofSeconds(5))).isEqualTo(Duration.ofMillis(30));
  }

  @Test
  void anUnknownTransitOrAFixedPolicyKeepsFloorPlusFraction() {
    Duration remaining = Duration.ofMillis(1000);
    assertThat(ADAPTIVE.reserveFor(remaining, null)).isEqualTo(Duration.ofMillis(25)); // 5 + 2 % of 1000
    assertThat(BudgetPolicy.defaults().reserveFor(remaining, Duration.ofMillis(7))).isEqualTo(Duration.ofMillis(25));
    assertThat(BudgetPolicy.defaults().adaptiveReserve()).isFalse();
    assertThat(ADAPTIVE.adaptiveReserve()).isTrue();
    assertThat(ADAPTIVE.adaptiveReserveMin()).contains(Duration.ofMillis(2));
    assertThat(ADAPTIVE.adaptiveReserveMax()).contains(Duration.ofMillis(30));
    assertThat(BudgetPolicy.builder().adaptiveReserve(Duration.ZERO, Duration.ofMillis(1)).fixedReserve().build()
        .adaptiveReserve()).isFalse();
  }

  @Test
  void theOutboundVerdictSubtractsTheAdaptiveReserve() {
    OutboundBudget.Send send = (OutboundBudget.Send)
        ADAPTIVE.outbound(Duration.ofMillis(1000), Tier.GATEWAY, SERVICE, Duration.ofMillis(7));
    assertThat(send.budget()).isEqualTo(Duration.ofMillis(993));
    assertThat(send.reserve()).isEqualTo(Duration.ofMillis(7));
    assertThat(ADAPTIVE.outbound(Duration.ofMillis(1000), Tier.GATEWAY, SERVICE))
        .isEqualTo(ADAPTIVE.outbound(Duration.ofMillis(1000), Tier.GATEWAY, SERVICE, null));
  }

  @Test
  void aLargeLearnedTransitStillFailsFastWithTheNumbers() {
    OutboundBudget verdict = ADAPTIVE.outbound(Duration.ofMillis(35), Tier.GATEWAY, SERVICE, Duration.ofMillis(28));
    assertThat(verdict).isInstanceOf(OutboundBudget.FailFast.class);
    assertThat(((OutboundBudget.FailFast) verdict).message()).contains("budget 7ms", "remaining 35ms", "reserve 28ms");
  }

  @Test
  void boundsOutOfOrderAreRefusedWithTheNumbers() {
    assertThatThrownBy(() -> BudgetPolicy.builder().adaptiveReserve(Duration.ofMillis(9), Duration.ofMillis(3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("min 9ms, max 3ms");
    assertThatThrownBy(() -> BudgetPolicy.builder().adaptiveReserve(Duration.ofMillis(-1), Duration.ofMillis(3)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
