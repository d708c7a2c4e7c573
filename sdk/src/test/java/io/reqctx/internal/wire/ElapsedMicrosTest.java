package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class ElapsedMicrosTest {

  @ParameterizedTest(name = "\"{0}\" is {1} us")
  @CsvSource({"0, 0", "1834, 1834", "0000000042, 42", "9999999999, 9999999999"})
  void wellFormedElapsedParses(String header, long micros) {
    assertThat(ElapsedMicros.parseMicros(header)).hasValue(micros);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"", "-5", "+5", "10000000000", " 5", "5 ", "5us", "1.5", "５", "dur=1.5"})
  void malformedElapsedIsIgnored(String header) {
    assertThat(ElapsedMicros.parseMicros(header)).isEmpty();
  }

  @Test
  void absentOrHugeElapsedIsIgnoredWithoutScanning() {
    assertThat(ElapsedMicros.parseMicros(null)).isEmpty();
    assertThat(ElapsedMicros.parseMicros("9".repeat(64 * 1024))).isEmpty();
  }

  @ParameterizedTest(name = "{0} ns is \"{1}\"")
  @CsvSource({
    "-1, 0",
    "-9223372036854775808, 0",
    "999, 0",
    "1834999, 1834",
    "9223372036854775807, 9999999999",
  })
  void elapsedIsFormattedInWholeMicrosecondsWithinTheGrammar(long nanos, String header) {
    assertThat(ElapsedMicros.format(nanos)).isEqualTo(header);
  }
}
