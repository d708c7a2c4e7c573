package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class AsciiDigitsTest {

  @Test
  void parsesWholeAndPartialRanges() {
    assertThat(AsciiDigits.parse("123", 3)).isEqualTo(123);
    assertThat(AsciiDigits.parse("x123y", 1, 4, 3)).isEqualTo(123);
    assertThat(AsciiDigits.parse("007", 3)).isEqualTo(7);
    assertThat(AsciiDigits.parse("999999999999999999", 18)).isEqualTo(999_999_999_999_999_999L);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"", "1234", "-1", "+1", " 1", "1 ", "１", "1a", "\u0660"})
  void anythingButOneToMaxAsciiDigitsIsMalformed(String value) {
    assertThat(AsciiDigits.parse(value, 3)).isEqualTo(AsciiDigits.MALFORMED);
  }

  @Test
  void nullIsMalformed() {
    assertThat(AsciiDigits.parse(null, 3)).isEqualTo(AsciiDigits.MALFORMED);
  }

  @Test
  void emptyRangeIsMalformed() {
    assertThat(AsciiDigits.parse("123", 2, 2, 3)).isEqualTo(AsciiDigits.MALFORMED);
  }
}
