package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fuzz test for {@link HopCount#parse}. */
@ExtendWith(StrictLeakExtension.class)
class HopCountFuzzTest {

  private static final Pattern GRAMMAR = Pattern.compile("[0-9]{1,5}");

  @FuzzTest
  void parse(@NotNull String header) {
    OptionalInt hops = HopCount.parse(header);

    assertThat(hops.isPresent())
        .as("accepted \"%s\"", header)
        .isEqualTo(GRAMMAR.matcher(header).matches());
    if (hops.isPresent()) {
      assertThat(hops.getAsInt()).isBetween(0, HopCount.MAX_HOPS);
      assertThat(HopCount.parse(HopCount.format(hops.getAsInt()))).isEqualTo(hops);
    }
  }
}
