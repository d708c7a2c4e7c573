package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.reqctx.testing.StrictLeakExtension;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzz tests for {@link KeyHeader}: value decoding, header-name parsing, and the encode/decode
 * round trip. In fuzzing mode pick one method, e.g. {@code -Dtest=KeyHeaderFuzzTest#decodeValue}.
 */
@ExtendWith(StrictLeakExtension.class)
class KeyHeaderFuzzTest {

  private static final int MAX_ENCODED_LENGTH = 1024;
  private static final Pattern CANONICAL = Pattern.compile("([A-Za-z0-9._~-]|%[0-9A-F]{2})*");
  private static final Pattern HEADER_NAME =
      Pattern.compile("reqctx-key-[a-z0-9][a-z0-9_.-]{0,47}");

  @FuzzTest
  void decodeValue(@NotNull String encoded) {
    String decoded = KeyHeader.decodeValue(encoded, MAX_ENCODED_LENGTH);
    if (decoded == null) {
      return;
    }
    assertThat(encoded.length()).isLessThanOrEqualTo(MAX_ENCODED_LENGTH);
    assertThat(encoded).matches("[!-~]*");
    String canonical = KeyHeader.encodeValue(decoded);
    assertThat(CANONICAL.matcher(canonical).matches()).as(canonical).isTrue();
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
    assertThat(CANONICAL.matcher(encoded).matches()).as(encoded).isTrue();

    String decoded = KeyHeader.decodeValue(encoded, Integer.MAX_VALUE);
    if (isWellFormedUtf16(raw)) {
      assertThat(decoded).isEqualTo(raw);
    } else {
      assertThat(decoded)
          .isEqualTo(new String(raw.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }
  }

  private static boolean isWellFormedUtf16(String s) {
    return StandardCharsets.UTF_8.newEncoder().canEncode(s);
  }
}
