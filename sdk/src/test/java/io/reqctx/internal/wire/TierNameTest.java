package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class TierNameTest {

  @ParameterizedTest(name = "\"{0}\" is valid")
  @ValueSource(strings = {"gateway", "service", "cache", "database", "a", "edge-2", "tier_3"})
  void lowerCaseTierNamesAreValid(String tier) {
    assertThat(TierName.isValid(tier)).isTrue();
    assertThat(TierName.parse(tier)).isEqualTo(tier);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(
      strings = {
        "",
        "Service",
        "SERVICE",
        "2cache",
        "-cache",
        "_cache",
        "cache tier",
        "café",
        "c.d"
      })
  void upperCaseAndOtherMalformedNamesAreRejectedNotFolded(String tier) {
    assertThat(TierName.isValid(tier)).isFalse();
    assertThat(TierName.parse(tier)).isNull();
  }

  @Test
  void lengthIsLimitedTo32() {
    assertThat(TierName.parse("a".repeat(32))).isNotNull();
    assertThat(TierName.parse("a".repeat(33))).isNull();
    assertThat(TierName.parse("a".repeat(64 * 1024))).isNull();
  }

  @Test
  void nullIsMalformed() {
    assertThat(TierName.isValid(null)).isFalse();
    assertThat(TierName.parse(null)).isNull();
  }

  @Test
  void parseReturnsTheSameStringInstance() {
    String tier = "service";
    assertThat(TierName.parse(tier)).isSameAs(tier);
  }

}
