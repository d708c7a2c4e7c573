package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzz test for {@link TraceState#parse(java.util.List)}: the input is split at line feeds into
 * repeated header values. Without {@code JAZZER_FUZZ} it replays the seeds in {@code
 * TraceStateFuzzTestInputs/parse/}; see docs/WIRE.md for the long-running command.
 */
@ExtendWith(StrictLeakExtension.class)
class TraceStateFuzzTest {

  /** Independent statement of one list member, from Trace Context Level 2 §3.3.2. */
  private static final Pattern MEMBER =
      Pattern.compile(
          "([a-z0-9][a-z0-9_\\-*/@]{0,255})="
              + "([\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e])");

  private static final Pattern EDGE_OWS = Pattern.compile("^[ \\t]+|[ \\t]+$");

  @FuzzTest
  void parse(@NotNull String input) {
    List<String> headers = List.of(input.split("\n", -1));
    TraceState parsed = TraceState.parse(headers);

    Map<String, String> expected = expected(headers);
    assertThat(parsed != null).as("accepted %s", headers).isEqualTo(expected != null);
    if (parsed == null) {
      return;
    }
    Map<String, String> actual = new LinkedHashMap<>();
    parsed.members().forEach(m -> actual.put(m.key(), m.value()));
    assertThat(actual).containsExactlyEntriesOf(expected);
    assertThat(TraceState.parse(parsed.encode())).isEqualTo(parsed);

    int limit = Math.floorMod(input.hashCode(), 700);
    TraceState truncated = parsed.truncatedTo(limit);
    assertThat(truncated.encode().length()).isLessThanOrEqualTo(limit);
    if (!truncated.isEmpty()) {
      assertThat(parsed.members()).containsSubsequence(truncated.members());
    }
    if (parsed.encode().length() <= limit) {
      assertThat(truncated).isSameAs(parsed);
    }
    if (!parsed.isEmpty()) {
      TraceState.Member first = parsed.members().get(parsed.members().size() - 1);
      TraceState moved = parsed.with(first.key(), first.value());
      assertThat(moved.members().get(0)).isEqualTo(first);
      assertThat(moved.members()).hasSameSizeAs(parsed.members());
    }
  }

  /** The members the grammar gives, first occurrence of a key kept; null when malformed. */
  private static Map<String, String> expected(List<String> headers) {
    String joined = String.join(",", headers);
    if (joined.length() > TraceState.MAX_INPUT_LENGTH) {
      return null;
    }
    Map<String, String> members = new LinkedHashMap<>();
    List<String> elements = new ArrayList<>();
    for (String element : joined.split(",", -1)) {
      String trimmed = EDGE_OWS.matcher(element).replaceAll("");
      if (!trimmed.isEmpty()) {
        elements.add(trimmed);
      }
    }
    if (elements.size() > TraceState.MAX_MEMBERS) {
      return null;
    }
    for (String element : elements) {
      Matcher matcher = MEMBER.matcher(element);
      if (!matcher.matches()) {
        return null;
      }
      members.putIfAbsent(matcher.group(1), matcher.group(2));
    }
    return members;
  }
}
