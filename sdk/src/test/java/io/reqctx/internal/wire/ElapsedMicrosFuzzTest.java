package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fuzz test for {@link ElapsedMicros#parseMicros}; seeds in {@code ElapsedMicrosFuzzTestInputs/}. */
@ExtendWith(StrictLeakExtension.class)
class ElapsedMicrosFuzzTest {

  private static final Pattern GRAMMAR = Pattern.compile("[0-9]{1,10}");

  @FuzzTest
  void parseMicros(@NotNull String header) {
    OptionalLong micros = ElapsedMicros.parseMicros(header);

    assertThat(micros.isPresent())
        .as("accepted \"%s\"", header)
        .isEqualTo(GRAMMAR.matcher(header).matches());
    if (micros.isPresent()) {
      assertThat(micros.getAsLong()).isBetween(0L, ElapsedMicros.MAX_MICROS);
      assertThat(ElapsedMicros.parseMicros(ElapsedMicros.format(micros.getAsLong() * 1_000)))
          .isEqualTo(micros);
    }
  }
}
