package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class BudgetMillisTest {

  @ParameterizedTest(name = "\"{0}\" is {1} ms")
  @CsvSource({"0, 0", "1, 1", "2750, 2750", "000000042, 42", "999999999, 999999999"})
  void wellFormedBudgetParses(String header, long millis) {
    assertThat(BudgetMillis.parseMillis(header)).hasValue(millis);
  }

  @Test
  void zeroBudgetIsWellFormedAndMeansNoTimeLeft() {
    assertThat(BudgetMillis.parseMillis("0")).hasValue(0);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"", "-5", "+5", "1000000000", " 5", "5 ", "5ms", "5.0", "５", "0x10"})
  void malformedBudgetIsIgnored(String header) {
    assertThat(BudgetMillis.parseMillis(header)).isEmpty();
  }

  @Test
  void nullBudgetIsAbsent() {
    assertThat(BudgetMillis.parseMillis(null)).isEmpty();
  }

  @Test
  void hugeHeaderIsRejectedWithoutScanning() {
    assertThat(BudgetMillis.parseMillis("9".repeat(64 * 1024))).isEmpty();
  }

  @ParameterizedTest(name = "{0} ms is \"{1}\"")
  @CsvSource({
    "-1, 0",
    "-9223372036854775808, 0",
    "0, 0",
    "2750, 2750",
    "999999999, 999999999",
    "1000000000, 999999999",
    "9223372036854775807, 999999999",
  })
  void formatClampsToTheHeaderRange(long millis, String header) {
    assertThat(BudgetMillis.format(millis)).isEqualTo(header);
  }

  @Test
  void formatThenParseIsIdentityInRange() {
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 10_000; i++) {
      long millis = random.nextLong(0, BudgetMillis.MAX_MILLIS + 1);
      assertThat(BudgetMillis.parseMillis(BudgetMillis.format(millis))).hasValue(millis);
    }
  }

}
