package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fuzz test for {@link EnvoyExpectedTimeout#parseMillis}. */
@ExtendWith(StrictLeakExtension.class)
class EnvoyExpectedTimeoutFuzzTest {

  private static final Pattern GRAMMAR = Pattern.compile("[0-9]{1,9}");

  @FuzzTest
  void parseMillis(@NotNull String header) {
    OptionalLong millis = EnvoyExpectedTimeout.parseMillis(header);

    boolean wellFormedAndPositive = GRAMMAR.matcher(header).matches() && Long.parseLong(header) > 0;
    assertThat(millis.isPresent()).as("accepted \"%s\"", header).isEqualTo(wellFormedAndPositive);
    if (millis.isPresent()) {
      assertThat(millis.getAsLong()).isBetween(1L, 999_999_999L);
    }
  }
}
