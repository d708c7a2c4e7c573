package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzz tests for {@link Baggage}: parsing repeated headers (the input is split at line feeds) and
 * the encode/decode round trip of entry values. In fuzzing mode pick one method, e.g. {@code
 * -Dtest=BaggageFuzzTest#parse}.
 */
@ExtendWith(StrictLeakExtension.class)
class BaggageFuzzTest {

  private static final String TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
  private static final String OCTETS = "(?:[\\x21\\x23-\\x24\\x26-\\x2b\\x2d-\\x3a\\x3c-\\x5b\\x5d-\\x7e]|%[0-9A-Fa-f]{2})*";
  private static final String OWS = "[ \\t]*";

  /** Independent statement of one list member, from W3C Baggage §3.3.1 (OWS already trimmed). */
  private static final Pattern MEMBER =
      Pattern.compile(
          TOKEN + OWS + "=" + OWS + OCTETS + "(?:" + OWS + ";" + OWS + TOKEN + OWS + "(?:=" + OWS
              + OCTETS + ")?)*");

  private static final Pattern EDGE_OWS = Pattern.compile("^[ \\t]+|[ \\t]+$");
  private static final Pattern ANY_OWS = Pattern.compile("[ \\t]+");
  private static final Pattern ENCODED = Pattern.compile(OCTETS);

  @FuzzTest
  void parse(@NotNull String input) {
    List<String> headers = List.of(input.split("\n", -1));
    Baggage parsed = Baggage.parse(headers);

    List<String> entries = new ArrayList<>();
    parsed.entries().forEach(e -> entries.add(e.encode()));
    assertThat(entries).isEqualTo(expected(headers));
    assertThat(parsed.entries().size()).isLessThanOrEqualTo(Baggage.MAX_MEMBERS);
    assertThat(parsed.encode().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Baggage.MAX_BYTES);
    assertThat(Baggage.parse(parsed.encode())).isEqualTo(parsed);
    for (Baggage.Entry entry : parsed.entries()) {
      String text = entry.decodedValue();
      assertThat(Baggage.Entry.of(entry.key(), text).decodedValue()).isEqualTo(text);
    }
  }

  @FuzzTest
  void encodeThenDecodeRoundTrips(@NotNull String text) {
    Baggage.Entry entry = Baggage.Entry.of("k", text);

    assertThat(ENCODED.matcher(entry.value()).matches()).as(entry.value()).isTrue();
    String expected =
        StandardCharsets.UTF_8.newEncoder().canEncode(text)
            ? text
            : new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    assertThat(entry.decodedValue()).isEqualTo(expected);
    boolean fits = entry.encode().length() <= Baggage.MAX_BYTES;
    assertThat(Baggage.parse(entry.encode()).get("k")).isEqualTo(fits ? expected : null);
  }

  /** The members the grammar keeps, without whitespace, within the limits; in order. */
  private static List<String> expected(List<String> headers) {
    String joined = String.join(",", headers);
    List<String> kept = new ArrayList<>();
    if (joined.length() > Baggage.MAX_INPUT_LENGTH) {
      return kept;
    }
    int bytes = 0;
    for (String element : joined.split(",", -1)) {
      String trimmed = EDGE_OWS.matcher(element).replaceAll("");
      if (trimmed.isEmpty() || !MEMBER.matcher(trimmed).matches()) {
        continue;
      }
      String canonical = ANY_OWS.matcher(trimmed).replaceAll("");
      int withIt = bytes + (kept.isEmpty() ? 0 : 1) + canonical.length();
      if (kept.size() < Baggage.MAX_MEMBERS && withIt <= Baggage.MAX_BYTES) {
        kept.add(canonical);
        bytes = withIt;
      }
    }
    return kept;
  }
}
