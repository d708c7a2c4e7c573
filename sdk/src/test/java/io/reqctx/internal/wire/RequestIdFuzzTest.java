package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fuzz test for {@link RequestId#isValid}. */
@ExtendWith(StrictLeakExtension.class)
class RequestIdFuzzTest {

  private static final Pattern GRAMMAR = Pattern.compile("[A-Za-z0-9._~:+/=-]{1,128}");

  @FuzzTest
  void isValid(@NotNull String id) {
    assertThat(RequestId.isValid(id)).as("\"%s\"", id).isEqualTo(GRAMMAR.matcher(id).matches());
  }
}
