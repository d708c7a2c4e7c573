package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzz tests for {@link KeyHeader}: value decoding, header-name parsing, and the encode/decode
 * round trip. In fuzzing mode pick one method, e.g. {@code -Dtest=KeyHeaderFuzzTest#decodeValue}.
 */
@ExtendWith(StrictLeakExtension.class)
class KeyHeaderFuzzTest {

  private static final int MAX_ENCODED_LENGTH = 1024;
  private static final Pattern HEADER_NAME =
      Pattern.compile("reqctx-key-[a-z0-9][a-z0-9_.-]{0,47}");

  @FuzzTest
  void decodeValue(@NotNull String encoded) {
    String decoded = KeyHeader.decodeValue(encoded, MAX_ENCODED_LENGTH);
    if (decoded == null) {
      return;
    }
    assertThat(encoded.length()).isLessThanOrEqualTo(MAX_ENCODED_LENGTH);
    assertThat(encoded.chars().allMatch(c -> c >= '!' && c <= '~')).as("visible ASCII only: %s", encoded).isTrue();
    String canonical = KeyHeader.encodeValue(decoded);
    assertThat(isCanonical(canonical)).as(canonical).isTrue();
    assertThat(KeyHeader.decodeValue(canonical, Integer.MAX_VALUE)).isEqualTo(decoded);
  }

  @FuzzTest
  void keyNameOf(@NotNull String headerName) {
    String keyName = KeyHeader.keyNameOf(headerName);
    boolean wellFormed = HEADER_NAME.matcher(headerName).matches() && !headerName.endsWith("-bin");

    assertThat(keyName != null).as("\"%s\"", headerName).isEqualTo(wellFormed);
    if (keyName != null) {
      assertThat(KeyHeader.isValidKeyName(keyName)).isTrue();
      assertThat(KeyHeader.headerName(keyName)).isEqualTo(headerName);
    }
  }

  @FuzzTest
  void encodeThenDecodeRoundTrips(@NotNull String raw) {
    String encoded = KeyHeader.encodeValue(raw);
    assertThat(isCanonical(encoded)).as(encoded).isTrue();

    String decoded = KeyHeader.decodeValue(encoded, Integer.MAX_VALUE);
    if (isWellFormedUtf16(raw)) {
      assertThat(decoded).isEqualTo(raw);
    } else {
      assertThat(decoded)
          .isEqualTo(new String(raw.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }
  }

  @Test
  void canonicalCheckAcceptsLongValuesAndRejectsNonCanonicalOnes() {
    String encoded = KeyHeader.encodeValue("a%".repeat(20_000));

    assertThat(isCanonical(encoded)).isTrue();
    assertThat(isCanonical("a-b.c_d~%2F")).isTrue();
    assertThat(isCanonical("%2f")).as("lower-case hex").isFalse();
    assertThat(isCanonical("ab%2")).as("truncated escape").isFalse();
    assertThat(isCanonical("a b")).as("space").isFalse();
  }

  /**
   * Whether {@code s} is {@code ([A-Za-z0-9._~-]|%[0-9A-F]{2})*}: checked by a loop, because
   * java.util.regex recurses once per repetition of that group and overflows the stack on long values.
   */
  private static boolean isCanonical(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length() || !isUpperHex(s.charAt(i + 1)) || !isUpperHex(s.charAt(i + 2))) {
          return false;
        }
        i += 2;
      } else if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || ".-_~".indexOf(c) >= 0)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isUpperHex(char c) {
    return c >= '0' && c <= '9' || c >= 'A' && c <= 'F';
  }

  private static boolean isWellFormedUtf16(String s) {
    return StandardCharsets.UTF_8.newEncoder().canEncode(s);
  }
}
