package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzz test for {@link TraceParent#parse}. Without {@code JAZZER_FUZZ} it replays the seeds in
 * {@code TraceParentFuzzTestInputs/parse/}; see docs/WIRE.md for the long-running command.
 */
@ExtendWith(StrictLeakExtension.class)
class TraceParentFuzzTest {

  /** Independent statement of the grammar, from Trace Context Level 2 §3.2. */
  private static final Pattern GRAMMAR =
      Pattern.compile(
          "[ \\t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*?)?[ \\t]*",
          Pattern.DOTALL);

  @FuzzTest
  void parse(@NotNull String header) {
    TraceParent parsed = TraceParent.parse(header);

    Matcher matcher = GRAMMAR.matcher(header);
    boolean valid =
        header.length() <= TraceParent.MAX_LENGTH
            && matcher.matches()
            && !matcher.group(1).equals("ff")
            && (!matcher.group(1).equals("00") || matcher.group(5) == null)
            && !matcher.group(2).equals("0".repeat(32))
            && !matcher.group(3).equals("0".repeat(16));
    assertThat(parsed != null).as("accepted \"%s\"", header).isEqualTo(valid);
    if (parsed == null) {
      return;
    }
    assertThat(parsed.traceId()).isEqualTo(matcher.group(2));
    assertThat(parsed.parentId()).isEqualTo(matcher.group(3));
    assertThat(parsed.flags()).isEqualTo(Integer.parseInt(matcher.group(4), 16));
    String encoded = parsed.encode();
    assertThat(encoded).hasSize(55).startsWith("00-");
    TraceParent again = TraceParent.parse(encoded);
    assertThat(again).isEqualTo(new TraceParent(parsed.traceId(), parsed.parentId(), parsed.flags() & 0x03));
    TraceParent next = parsed.withFreshParentId();
    assertThat(next.traceId()).isEqualTo(parsed.traceId());
    assertThat(next.parentId()).isNotEqualTo(parsed.parentId());
    assertThat(next.flags()).isEqualTo(parsed.flags());
  }
}
