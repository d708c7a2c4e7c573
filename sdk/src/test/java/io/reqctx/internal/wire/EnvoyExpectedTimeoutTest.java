package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class EnvoyExpectedTimeoutTest {

  @Test
  void envoyDefaultTimeoutParses() {
    assertThat(EnvoyExpectedTimeout.parseMillis("15000")).hasValue(15_000);
    assertThat(EnvoyExpectedTimeout.parseMillis("999999999")).hasValue(999_999_999);
  }

  @ParameterizedTest(name = "\"{0}\" is absent")
  @ValueSource(strings = {"0", "000"})
  void zeroMeansNoTimeoutInEnvoyAndIsTreatedAsAbsent(String header) {
    assertThat(EnvoyExpectedTimeout.parseMillis(header)).isEmpty();
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"", "-1", "+1", "1000000000", "15000ms", "15s", " 15000", "15 000"})
  void malformedValueIsIgnored(String header) {
    assertThat(EnvoyExpectedTimeout.parseMillis(header)).isEmpty();
  }

  @Test
  void nullIsAbsent() {
    assertThat(EnvoyExpectedTimeout.parseMillis(null)).isEmpty();
  }

}
