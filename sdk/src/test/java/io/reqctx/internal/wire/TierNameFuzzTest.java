package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fuzz test for {@link TierName#parse} and {@link TierName#isValid}. */
@ExtendWith(StrictLeakExtension.class)
class TierNameFuzzTest {

  private static final Pattern GRAMMAR = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  @FuzzTest
  void parse(@NotNull String header) {
    String tier = TierName.parse(header);
    boolean wellFormed = GRAMMAR.matcher(header).matches();

    assertThat(TierName.isValid(header)).as("\"%s\"", header).isEqualTo(wellFormed);
    if (wellFormed) {
      assertThat(tier).isEqualTo(header);
    } else {
      assertThat(tier).isNull();
    }
  }
}
