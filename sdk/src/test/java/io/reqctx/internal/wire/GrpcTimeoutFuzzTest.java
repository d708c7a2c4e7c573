package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzz test for {@link GrpcTimeout#parseNanos}. Without {@code JAZZER_FUZZ} it replays the seeds in
 * {@code GrpcTimeoutFuzzTestInputs/parseNanos/}; see docs/WIRE.md for the long-running command.
 */
@ExtendWith(StrictLeakExtension.class)
class GrpcTimeoutFuzzTest {

  /** Independent statement of the grammar, from the gRPC over HTTP/2 spec. */
  private static final Pattern GRAMMAR = Pattern.compile("[0-9]{1,8}[HMSmun]");

  @FuzzTest
  void parseNanos(@NotNull String header) {
    OptionalLong nanos = GrpcTimeout.parseNanos(header);

    assertThat(nanos.isPresent())
        .as("accepted \"%s\"", header)
        .isEqualTo(GRAMMAR.matcher(header).matches());
    if (nanos.isPresent()) {
      long parsed = nanos.getAsLong();
      assertThat(parsed).isNotNegative();
      String reformatted = GrpcTimeout.format(parsed);
      assertThat(GRAMMAR.matcher(reformatted).matches()).as(reformatted).isTrue();
      long again = GrpcTimeout.parseNanos(reformatted).orElseThrow();
      assertThat(again).isLessThanOrEqualTo(parsed);
      assertThat(again > 0).isEqualTo(parsed > 0);
    }
  }
}
