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
class AttemptNumberTest {

  @ParameterizedTest(name = "\"{0}\" is {1}")
  @CsvSource({"1, 1", "2, 2", "007, 7", "999, 999"})
  void wellFormedAttemptParses(String header, int attempt) {
    assertThat(AttemptNumber.parse(header)).hasValue(attempt);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"0", "000", "", "-1", "+1", "1000", " 1", "１"})
  void zeroAndMalformedAttemptsAreIgnored(String header) {
    assertThat(AttemptNumber.parse(header)).isEmpty();
  }

  @Test
  void nullAttemptIsAbsent() {
    assertThat(AttemptNumber.parse(null)).isEmpty();
  }

  @Test
  void formatWritesPlainDecimalAndSaturates() {
    assertThat(AttemptNumber.format(AttemptNumber.FIRST)).isEqualTo("1");
    assertThat(AttemptNumber.format(999)).isEqualTo("999");
    assertThat(AttemptNumber.format(5000)).isEqualTo("999");
  }

  @Test
  void attemptBelowOneIsAProgrammingError() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AttemptNumber.format(0))
        .withMessageContaining("start at 1");
  }

  @Test
  void formatThenParseIsIdentityInRange() {
    for (int attempt = 1; attempt <= AttemptNumber.MAX_ATTEMPT; attempt++) {
      assertThat(AttemptNumber.parse(AttemptNumber.format(attempt))).hasValue(attempt);
    }
  }

}
