package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class DeadlineTest {
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void remainingFollowsTheTickerAndNeverGoesNegative() {
    Deadline deadline = Deadline.after(Duration.ofMillis(100), ticker);
    ticker.advance(Duration.ofMillis(30));
    assertThat(deadline.remaining()).isEqualTo(Duration.ofMillis(70));
    assertThat(deadline.isExpired()).isFalse();

    ticker.advance(Duration.ofMillis(80));
    assertThat(deadline.remaining()).isZero();
    assertThat(deadline.remainingNanos()).isEqualTo(-Duration.ofMillis(10).toNanos());
    assertThat(deadline.isExpired()).isTrue();
    assertThat(deadline.toString()).contains("expired");
  }

  @Test
  void minPicksTheEarlier() {
    Deadline early = Deadline.after(Duration.ofMillis(10), ticker);
    Deadline late = Deadline.after(Duration.ofMillis(20), ticker);
    assertThat(early.min(late)).isSameAs(early);
    assertThat(late.min(early)).isSameAs(early);
    assertThat(early.isBefore(late)).isTrue();
  }

  @Test
  void deadlinesOnDifferentTickersDoNotCompare() {
    Deadline fake = Deadline.after(Duration.ofMillis(10), ticker);
    Deadline real = Deadline.after(Duration.ofMillis(10));
    assertThatThrownBy(() -> fake.min(real)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("different tickers");
  }

  @Test
  void hugeBudgetsSaturateInsteadOfOverflowing() {
    Deadline forever = Deadline.after(Duration.ofDays(365L * 10_000), ticker);
    assertThat(forever.remainingNanos()).isPositive();
    assertThat(forever.isExpired()).isFalse();
    Deadline past = Deadline.after(Duration.ofDays(-365L * 10_000), ticker);
    assertThat(past.isExpired()).isTrue();
  }

  @Test
  void offsetsSaturateAtAHundredYearsLikeGrpcsDeadline() {
    Duration hundredYears = Duration.ofDays(36_500);
    for (Duration huge : new Duration[] {Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ofDays(40_000), hundredYears}) {
      assertThat(Deadline.after(huge, ticker).remaining()).isEqualTo(hundredYears);
      assertThat(Deadline.after(huge.negated(), ticker).remainingNanos()).isEqualTo(-hundredYears.toNanos());
    }
    assertThat(Deadline.afterNanos(Long.MAX_VALUE, ticker).remaining()).isEqualTo(hundredYears);
    assertThat(Deadline.afterNanos(Long.MIN_VALUE, ticker).isExpired()).isTrue();
    Deadline far = Deadline.after(hundredYears, ticker);
    Deadline past = Deadline.after(hundredYears.negated(), ticker);
    assertThat(past.isBefore(far)).as("200 years apart still compare").isTrue();
  }
}
