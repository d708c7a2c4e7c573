package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.reqctx.testing.StrictLeakExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class HopCountTest {

  @ParameterizedTest(name = "\"{0}\" is {1}")
  @CsvSource({"0, 0", "1, 1", "00003, 3", "99999, 99999"})
  void wellFormedHopCountParses(String header, int hops) {
    assertThat(HopCount.parse(header)).hasValue(hops);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"", "-1", "+3", "100000", "3 ", "３", "1e3", "0x1"})
  void malformedHopCountIsIgnored(String header) {
    assertThat(HopCount.parse(header)).isEmpty();
  }

  @Test
  void nullHopCountIsAbsent() {
    assertThat(HopCount.parse(null)).isEmpty();
  }

  @Test
  void formatWritesPlainDecimalAndSaturates() {
    assertThat(HopCount.format(0)).isEqualTo("0");
    assertThat(HopCount.format(4)).isEqualTo("4");
    assertThat(HopCount.format(99_999)).isEqualTo("99999");
    assertThat(HopCount.format(Integer.MAX_VALUE)).isEqualTo("99999");
  }

  @Test
  void negativeHopCountIsAProgrammingError() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HopCount.format(-1))
        .withMessageContaining("-1");
  }

  @Test
  void formatThenParseIsIdentityInRange() {
    for (int hops = 0; hops <= HopCount.MAX_HOPS; hops++) {
      assertThat(HopCount.parse(HopCount.format(hops))).hasValue(hops);
    }
  }

}
