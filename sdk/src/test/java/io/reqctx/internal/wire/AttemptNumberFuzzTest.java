package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fuzz test for {@link AttemptNumber#parse}. */
@ExtendWith(StrictLeakExtension.class)
class AttemptNumberFuzzTest {

  private static final Pattern GRAMMAR = Pattern.compile("[0-9]{1,3}");

  @FuzzTest
  void parse(@NotNull String header) {
    OptionalInt attempt = AttemptNumber.parse(header);

    boolean wellFormed = GRAMMAR.matcher(header).matches() && Integer.parseInt(header) >= 1;
    assertThat(attempt.isPresent()).as("accepted \"%s\"", header).isEqualTo(wellFormed);
    if (attempt.isPresent()) {
      assertThat(attempt.getAsInt()).isBetween(1, AttemptNumber.MAX_ATTEMPT);
      assertThat(AttemptNumber.parse(AttemptNumber.format(attempt.getAsInt()))).isEqualTo(attempt);
    }
  }
}
