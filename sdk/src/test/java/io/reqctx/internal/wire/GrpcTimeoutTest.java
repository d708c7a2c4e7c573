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
class GrpcTimeoutTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long HOUR = 3600 * SECOND;

  @ParameterizedTest(name = "\"{0}\" is {1} ns")
  @CsvSource({
    "1n, 1",
    "99999999n, 99999999",
    "1u, 1000",
    "250m, 250000000",
    "1S, 1000000000",
    "00000001S, 1000000000",
    "1M, 60000000000",
    "1H, 3600000000000",
    "2562047H, 9223369200000000000",
  })
  void wellFormedValuesParseToNanos(String header, long nanos) {
    assertThat(GrpcTimeout.parseNanos(header)).hasValue(nanos);
  }

  @ParameterizedTest(name = "\"{0}\" means no time left")
  @ValueSource(strings = {"0n", "0u", "0m", "0S", "0M", "0H", "00000000S"})
  void zeroTimeoutIsWellFormedAndMeansNoTimeLeft(String header) {
    assertThat(GrpcTimeout.parseNanos(header)).hasValue(0);
  }

  @ParameterizedTest(name = "\"{0}\" saturates")
  @ValueSource(strings = {"99999999H", "2562048H"})
  void overflowingTimeoutSaturatesAtLongMax(String header) {
    assertThat(GrpcTimeout.parseNanos(header)).hasValue(Long.MAX_VALUE);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(
      strings = {
        "", // empty
        "-1S", // sign
        "+5S", // sign
        "123456789S", // 9 digits
        "5x", // unknown unit
        "5", // missing unit
        "S", // missing value
        " 5S", // leading whitespace
        "5S ", // trailing whitespace
        "5 S", // inner whitespace
        "５S", // full-width digit
        "٥S", // Arabic-Indic digit
        "5s", // units are case-sensitive: 's' is not a unit
        "5h",
        "5SS",
        "1.5S",
        "0x5S",
        "5\u0000",
        "5S\n",
      })
  void malformedTimeoutIsIgnored(String header) {
    assertThat(GrpcTimeout.parseNanos(header)).isEmpty();
  }

  @Test
  void nineDigitTimeoutIsMalformed() {
    assertThat(GrpcTimeout.parseNanos("100000000n")).isEmpty();
    assertThat(GrpcTimeout.parseNanos("10000000n")).hasValue(10_000_000);
  }

  @Test
  void nullTimeoutIsAbsent() {
    assertThat(GrpcTimeout.parseNanos(null)).isEmpty();
  }

  @Test
  void hugeHeaderIsRejectedWithoutScanning() {
    StringBuilder huge = new StringBuilder("1".repeat(64 * 1024)).append('S');
    assertThat(GrpcTimeout.parseNanos(huge)).isEmpty();
  }

  @ParameterizedTest(name = "{0} ns is \"{1}\"")
  @CsvSource({
    "0, 0n",
    "-1, 0n",
    "-9223372036854775808, 0n",
    "1, 1n",
    "99999999, 99999999n",
    "100000000, 100000u",
    "100000999, 100000u",
    "3000000000, 3000000u",
    "99999999999, 99999999u",
    "100000000000, 100000m",
    "100000000000000, 100000S",
    "100000000000000000, 1666666M",
    "9223372036854775807, 2562047H",
  })
  void formatUsesFinestUnitThatFitsAndTruncates(long nanos, String header) {
    assertThat(GrpcTimeout.format(nanos)).isEqualTo(header);
  }

  @Test
  void positiveBudgetNeverEncodesAsZero() {
    assertThat(GrpcTimeout.format(1)).isEqualTo("1n");
    assertThat(GrpcTimeout.parseNanos(GrpcTimeout.format(1))).hasValue(1);
  }

  @Test
  void budgetsBelowOneHundredMillisRoundTripExactly() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 10_000; i++) {
      long nanos = random.nextLong(0, 100_000_000L);
      assertThat(GrpcTimeout.parseNanos(GrpcTimeout.format(nanos))).hasValue(nanos);
    }
  }

  @Test
  void roundTripNeverGivesMoreTimeAndLosesLessThanOneUnit() {
    SplittableRandom random = new SplittableRandom(20_261_121L);
    for (int i = 0; i < 50_000; i++) {
      // spread over every magnitude: a random long shifted right by 0..62 bits, at least 1
      long nanos = Math.max(1, random.nextLong(Long.MAX_VALUE) >>> random.nextInt(63));
      String header = GrpcTimeout.format(nanos);
      long parsed = GrpcTimeout.parseNanos(header).orElseThrow();

      assertThat(header).hasSizeLessThanOrEqualTo(9);
      assertThat(parsed)
          .as("format(%d) = %s", nanos, header)
          .isPositive()
          .isLessThanOrEqualTo(nanos);
      assertThat(nanos - parsed).as("loss of %s", header).isLessThan(unitNanos(header));
    }
  }

  @Test
  void reformattingAParsedTimeoutIsStable() {
    SplittableRandom random = new SplittableRandom(11);
    String units = "numSMH";
    for (int i = 0; i < 10_000; i++) {
      String header =
          random.nextLong(1, 100_000_000L) + String.valueOf(units.charAt(random.nextInt(6)));
      long parsed = GrpcTimeout.parseNanos(header).orElseThrow();
      if (parsed == Long.MAX_VALUE) {
        continue; // saturated: the original value is gone by design
      }
      assertThat(GrpcTimeout.parseNanos(GrpcTimeout.format(parsed)).orElseThrow())
          .as(header)
          .isLessThanOrEqualTo(parsed)
          .isGreaterThan(parsed - unitNanos(GrpcTimeout.format(parsed)));
    }
  }


  private static long unitNanos(String header) {
    switch (header.charAt(header.length() - 1)) {
      case 'n':
        return 1;
      case 'u':
        return 1_000;
      case 'm':
        return 1_000_000;
      case 'S':
        return SECOND;
      case 'M':
        return 60 * SECOND;
      case 'H':
        return HOUR;
      default:
        throw new AssertionError(header);
    }
  }
}
