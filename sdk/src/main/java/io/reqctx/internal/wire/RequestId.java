package io.reqctx.internal.wire;

import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code x-request-id}. A valid id is 1 to 128 characters from {@code A-Z a-z 0-9} and
 * {@code - . _ ~ : + / =}: enough for UUIDs, hex, base64 and base64url ids and {@code prefix:id}
 * styles, and nothing that could break a log line or a header (no whitespace, quotes, {@code %},
 * {@code ;}, {@code ,} or control characters).
 *
 * <pre>{@code
 * RequestId.isValid("955e1da9-4b1f-4e64-a198-40195406cfa7");  // true
 * RequestId.isValid("id with spaces");                        // false
 * RequestId.generate();  // e.g. "3f0c2a9be1d84c7f9a51e06b2d7c4e18"
 * }</pre>
 */
public final class RequestId {


  /** Longest id accepted. */
  public static final int MAX_LENGTH = 128;

  private RequestId() {}

  /** True when {@code value} is 1 to {@link #MAX_LENGTH} characters of the id alphabet. */
  public static boolean isValid(@Nullable CharSequence value) {
    if (value == null) {
      return false;
    }
    int length = value.length();
    if (length == 0 || length > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (!isIdChar(value.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A new id: 32 lower-case hex characters (128 random bits).
   *
   * <p>Uses {@link ThreadLocalRandom}, not {@code SecureRandom}: a request id correlates logs and
   * is not a secret or a capability, so it needs uniqueness, not unpredictability, and must not
   * contend or block on the request path.
   */
  public static String generate() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[32];
    LowerHex.write(random.nextLong(), id, 0);
    LowerHex.write(random.nextLong(), id, 16);
    return new String(id);
  }

  private static boolean isIdChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~'
        || c == ':'
        || c == '+'
        || c == '/'
        || c == '=';
  }
}
