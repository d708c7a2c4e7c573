package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzz tests for {@link Baggage}: parsing repeated headers (the input is split at line feeds) and
 * the encode/decode round trip of entry values. In fuzzing mode pick one method, e.g. {@code
 * -Dtest=BaggageFuzzTest#parse}.
 */
@ExtendWith(StrictLeakExtension.class)
class BaggageFuzzTest {

  // Independent statement of the grammar, W3C Baggage §3.3.1, with flat patterns only: a repeated
  // group with alternatives recurses once per repetition in java.util.regex and overflows the stack
  // on long values.
  private static final String TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
  private static final String OCTETS = "[\\x21\\x23-\\x2b\\x2d-\\x3a\\x3c-\\x5b\\x5d-\\x7e]*";
  private static final String OWS = "[ \\t]*";

  /** {@code key OWS "=" OWS value}, the part of a member before its first {@code ;}. */
  private static final Pattern KEY_VALUE = Pattern.compile(TOKEN + OWS + "=" + OWS + "(" + OCTETS + ")" + OWS);

  /** {@code OWS key OWS [ "=" OWS value OWS ]}, one property between {@code ;}s. */
  private static final Pattern PROPERTY =
      Pattern.compile(OWS + TOKEN + OWS + "(?:=" + OWS + "(" + OCTETS + ")" + OWS + ")?");

  /** A {@code %} that does not start an escape. */
  private static final Pattern LONE_PERCENT = Pattern.compile("%(?![0-9A-Fa-f]{2})");

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
    assertThat(LONE_PERCENT.matcher(entry.value()).find()).as(entry.value()).isFalse();
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
      String trimmed = strip(element);
      if (trimmed.isEmpty() || !isMember(trimmed)) {
        continue;
      }
      String canonical = trimmed.replace(" ", "").replace("\t", "");
      int withIt = bytes + (kept.isEmpty() ? 0 : 1) + canonical.length();
      if (kept.size() < Baggage.MAX_MEMBERS && withIt <= Baggage.MAX_BYTES) {
        kept.add(canonical);
        bytes = withIt;
      }
    }
    return kept;
  }

  private static boolean isMember(String member) {
    String[] parts = member.split(";", -1);
    Matcher keyValue = KEY_VALUE.matcher(parts[0]);
    if (!keyValue.matches() || LONE_PERCENT.matcher(keyValue.group(1)).find()) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      Matcher property = PROPERTY.matcher(parts[i]);
      if (!property.matches()
          || (property.group(1) != null && LONE_PERCENT.matcher(property.group(1)).find())) {
        return false;
      }
    }
    return true;
  }

  private static String strip(String element) {
    int start = 0;
    int end = element.length();
    while (start < end && (element.charAt(start) == ' ' || element.charAt(start) == '\t')) {
      start++;
    }
    while (end > start && (element.charAt(end - 1) == ' ' || element.charAt(end - 1) == '\t')) {
      end--;
    }
    return element.substring(start, end);
  }
}
