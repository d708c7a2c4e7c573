package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fuzz test for {@link BudgetMillis#parseMillis}; seeds in {@code BudgetMillisFuzzTestInputs/}. */
@ExtendWith(StrictLeakExtension.class)
class BudgetMillisFuzzTest {

  private static final Pattern GRAMMAR = Pattern.compile("[0-9]{1,9}");

  @FuzzTest
  void parseMillis(@NotNull String header) {
    OptionalLong millis = BudgetMillis.parseMillis(header);

    assertThat(millis.isPresent())
        .as("accepted \"%s\"", header)
        .isEqualTo(GRAMMAR.matcher(header).matches());
    if (millis.isPresent()) {
      assertThat(millis.getAsLong()).isBetween(0L, BudgetMillis.MAX_MILLIS);
      assertThat(BudgetMillis.parseMillis(BudgetMillis.format(millis.getAsLong())))
          .isEqualTo(millis);
    }
  }
}
