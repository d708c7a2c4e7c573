package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.reqctx.testing.StrictLeakExtension;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class KeyHeaderTest {

  @ParameterizedTest(name = "\"{0}\" is a valid key name")
  @ValueSource(
      strings = {"tenant-id", "user.locale", "a", "0", "feature_flags", "x-binary", "bins"})
  void validKeyNamesMakeHeaderNames(String keyName) {
    assertThat(KeyHeader.isValidKeyName(keyName)).isTrue();
    assertThat(KeyHeader.headerName(keyName)).isEqualTo("reqctx-key-" + keyName);
    assertThat(KeyHeader.keyNameOf("reqctx-key-" + keyName)).isEqualTo(keyName);
  }

  @ParameterizedTest(name = "\"{0}\" is not a key name")
  @ValueSource(
      strings = {
        "",
        "Tenant",
        "-tenant",
        ".x",
        "_x",
        "tenant id",
        "tenant/id",
        "ключ",
        "trace-bin",
        "bin"
      })
  void invalidKeyNamesAreRejected(String keyName) {
    assertThat(KeyHeader.isValidKeyName(keyName)).isFalse();
    assertThat(KeyHeader.keyNameOf("reqctx-key-" + keyName)).isNull();
  }

  @Test
  void keyNameLengthIsLimitedTo48() {
    assertThat(KeyHeader.isValidKeyName("k".repeat(48))).isTrue();
    assertThat(KeyHeader.isValidKeyName("k".repeat(49))).isFalse();
    assertThat(KeyHeader.keyNameOf("reqctx-key-" + "k".repeat(64 * 1024))).isNull();
  }

  @Test
  void definingAKeyWithAnInvalidNameExplainsTheGrammar() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> KeyHeader.headerName("Tenant"))
        .withMessageContaining("'Tenant'")
        .withMessageContaining("[a-z0-9][a-z0-9_.-]{0,47}")
        .withMessageContaining("-bin");
  }

  @ParameterizedTest(name = "\"{0}\" is not a key header")
  @ValueSource(
      strings = {
        "reqctx-key-",
        "reqctx-tier",
        "x-request-id",
        "REQCTX-KEY-tenant",
        "reqctx-keytenant"
      })
  void otherHeadersAreNotKeyHeaders(String headerName) {
    assertThat(KeyHeader.keyNameOf(headerName)).isNull();
  }

  @ParameterizedTest(name = "\"{0}\" encodes as \"{1}\"")
  @CsvSource({
    "plain-Value_1.2~3, plain-Value_1.2~3",
    "a b, a%20b",
    "100%, 100%25",
    "'a,b', a%2Cb",
    "café, caf%C3%A9",
    "a+b=c/d, a%2Bb%3Dc%2Fd",
    "😀, %F0%9F%98%80",
  })
  void encodeKeepsUnreservedAndEscapesEveryOtherUtf8Byte(String raw, String encoded) {
    assertThat(KeyHeader.encodeValue(raw)).isEqualTo(encoded);
    assertThat(KeyHeader.decodeValue(encoded, 256)).isEqualTo(raw);
  }

  @Test
  void emptyValueRoundTrips() {
    assertThat(KeyHeader.encodeValue("")).isEmpty();
    assertThat(KeyHeader.decodeValue("", 0)).isEmpty();
  }

  @Test
  void encodeReturnsUnreservedInputItself() {
    String raw = "tenant-42";
    assertThat(KeyHeader.encodeValue(raw)).isSameAs(raw);
  }

  @Test
  void lowerCaseHexAndLiteralVisibleAsciiAreAcceptedOnInput() {
    assertThat(KeyHeader.decodeValue("caf%c3%a9", 256)).isEqualTo("café");
    assertThat(KeyHeader.decodeValue("a+b!*", 256)).isEqualTo("a+b!*");
  }

  @ParameterizedTest(name = "\"{0}\" is rejected")
  @ValueSource(
      strings = {
        "%",
        "%4",
        "abc%",
        "%G0",
        "%0g",
        "%%41", // bad escapes
        "a b",
        "a\tb",
        "a\u007fb",
        "café",
        "\u0000", // outside visible ASCII
        "%C3",
        "%C3%28",
        "%FF",
        "%C0%AF",
        "%ED%A0%80",
        "%F4%90%80%80", // invalid UTF-8
      })
  void malformedEncodingsDecodeToNull(String encoded) {
    assertThat(KeyHeader.decodeValue(encoded, 256)).isNull();
  }

  @Test
  void valuesLongerThanTheKeyLimitAreRejected() {
    assertThat(KeyHeader.decodeValue("abcd", 4)).isEqualTo("abcd");
    assertThat(KeyHeader.decodeValue("abcde", 4)).isNull();
    assertThat(KeyHeader.decodeValue("a".repeat(64 * 1024), 1024)).isNull();
  }

  @Test
  void unpairedSurrogateIsSentAsQuestionMark() {
    assertThat(KeyHeader.encodeValue("a\uD800b")).isEqualTo("a%3Fb");
  }

  @Test
  void randomStringsRoundTrip() {
    SplittableRandom random = new SplittableRandom(99);
    for (int i = 0; i < 5_000; i++) {
      StringBuilder raw = new StringBuilder();
      int length = random.nextInt(40);
      for (int j = 0; j < length; j++) {
        // mostly ASCII, some Latin-1, BMP and supplementary code points
        int bound = random.nextInt(4) == 0 ? Character.MAX_CODE_POINT + 1 : 0x100;
        int codePoint = random.nextInt(bound);
        if (Character.getType(codePoint) != Character.SURROGATE) {
          raw.appendCodePoint(codePoint);
        }
      }
      String value = raw.toString();
      String encoded = KeyHeader.encodeValue(value);
      assertThat(encoded).matches("([A-Za-z0-9._~-]|%[0-9A-F]{2})*");
      assertThat(KeyHeader.decodeValue(encoded, Integer.MAX_VALUE)).isEqualTo(value);
    }
  }
}
