package io.reqctx.internal.wire;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;

/**
 * RFC 3986 percent-encoding of UTF-8 text, shared by the codecs that carry free text in a header
 * ({@link KeyHeader} values, {@link Baggage} values). Each codec says which ASCII characters may
 * stay as they are; everything else is written as {@code %XX} with upper-case hex. This is not form
 * encoding: {@code +} is a plus sign.
 */
final class PercentEncoding {

  /** What to do with percent-decoded bytes that are not valid UTF-8. */
  enum InvalidUtf8 {
    /** The whole value is malformed (decode returns null). */
    REJECT,
    /** Each malformed sequence becomes U+FFFD, as W3C Baggage requires. */
    REPLACE
  }

  private static final char[] UPPER_HEX = "0123456789ABCDEF".toCharArray();

  private PercentEncoding() {}

  /**
   * Percent-encodes {@code raw}, keeping the ASCII characters for which {@code keep} is true.
   * Returns {@code raw} itself when nothing needs encoding. An unpaired surrogate cannot be written
   * as UTF-8 and is sent as {@code ?}, as {@link String#getBytes} does.
   */
  static String encode(String raw, IntPredicate keep) {
    int firstToEncode = 0;
    while (firstToEncode < raw.length() && isKept(raw.charAt(firstToEncode), keep)) {
      firstToEncode++;
    }
    if (firstToEncode == raw.length()) {
      return raw;
    }
    byte[] utf8 = raw.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(utf8.length + 16);
    for (byte b : utf8) {
      int unsigned = b & 0xFF;
      if (unsigned < 0x80 && isKept((char) unsigned, keep)) {
        out.append((char) unsigned);
      } else {
        out.append('%').append(UPPER_HEX[unsigned >>> 4]).append(UPPER_HEX[unsigned & 0xF]);
      }
    }
    return out.toString();
  }

  /**
   * Decodes {@code encoded[start, end)}, which the caller has already checked holds only ASCII.
   * Hex digits of either case are accepted after {@code %}.
   *
   * @return the text, or null when a {@code %} is not followed by two hex digits, or when the bytes
   *     are not valid UTF-8 and {@code invalidUtf8} is {@link InvalidUtf8#REJECT}
   */
  static @Nullable String decode(
      CharSequence encoded, int start, int end, InvalidUtf8 invalidUtf8) {
    int firstEscape = -1;
    for (int i = start; i < end; i++) {
      if (encoded.charAt(i) == '%') {
        firstEscape = i;
        break;
      }
    }
    if (firstEscape < 0) {
      return encoded.subSequence(start, end).toString(); // ASCII is already valid UTF-8
    }
    byte[] bytes = new byte[end - start];
    int count = 0;
    for (int i = start; i < end; i++) {
      char c = encoded.charAt(i);
      if (c != '%') {
        bytes[count++] = (byte) c;
        continue;
      }
      if (i + 2 >= end) {
        return null;
      }
      int high = Character.digit(encoded.charAt(i + 1), 16);
      int low = Character.digit(encoded.charAt(i + 2), 16);
      if (high < 0 || low < 0) {
        return null;
      }
      bytes[count++] = (byte) ((high << 4) | low);
      i += 2;
    }
    CodingErrorAction onError =
        invalidUtf8 == InvalidUtf8.REJECT ? CodingErrorAction.REPORT : CodingErrorAction.REPLACE;
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(onError)
            .onUnmappableCharacter(onError)
            .replaceWith("\uFFFD");
    try {
      CharBuffer decoded = decoder.decode(ByteBuffer.wrap(bytes, 0, count));
      return decoded.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static boolean isKept(char c, IntPredicate keep) {
    return c < 0x80 && keep.test(c);
  }
}
