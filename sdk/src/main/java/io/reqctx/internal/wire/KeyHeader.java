package io.reqctx.internal.wire;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * Codec for typed context values: one header per propagated key, named {@code reqctx-key-<name>}.
 *
 * <p><b>Key names</b> match {@code [a-z0-9][a-z0-9_.-]{0,47}}, must not end in {@code -bin} and
 * must not be {@code bin} (either would make the header name end in {@code -bin}, which gRPC treats
 * as binary metadata and base64-encodes).
 *
 * <p><b>Values</b> are the key codec's string, UTF-8 encoded, then percent-encoded: the unreserved
 * characters {@code A-Z a-z 0-9 - . _ ~} stay as they are, every other byte becomes {@code %XX}
 * with upper-case hex. On input lower-case hex is accepted too, and any other visible ASCII
 * character ({@code !} to {@code ~}, except {@code %}) stands for itself; {@code +} is a plus sign,
 * not a space (this is not form encoding). Space, control characters and non-ASCII characters are
 * malformed.
 *
 * <pre>{@code
 * KeyHeader.headerName("tenant-id");       // "reqctx-key-tenant-id"
 * KeyHeader.keyNameOf("reqctx-key-tenant-id");  // "tenant-id"
 * KeyHeader.encodeValue("café 1");         // "caf%C3%A9%201"
 * KeyHeader.decodeValue("caf%c3%a9%201", 256);  // "café 1"
 * }</pre>
 */
public final class KeyHeader {

  private static final String PREFIX = WireHeaders.KEY_PREFIX;

  /** Longest key name. */
  public static final int MAX_KEY_NAME_LENGTH = 48;

  private static final String BINARY_SUFFIX = "-bin";

  private KeyHeader() {}

  /**
   * True when {@code keyName} matches {@code [a-z0-9][a-z0-9_.-]{0,47}}, does not end in {@code
   * -bin} and is not {@code bin}.
   */
  public static boolean isValidKeyName(String keyName) {
    return isValidKeyName(requireNonNull(keyName, "keyName"), 0);
  }

  /**
   * The header name for a key, checked when the key is defined.
   *
   * @throws IllegalArgumentException if {@code keyName} is not a valid key name
   */
  public static String headerName(String keyName) {
    if (!isValidKeyName(keyName)) {
      throw new IllegalArgumentException(
          "invalid propagated key name '"
              + keyName
              + "': a key name must match [a-z0-9][a-z0-9_.-]{0,47} (lower-case ASCII, at most "
              + MAX_KEY_NAME_LENGTH
              + " characters), must not end in \"-bin\" and must not be \"bin\": gRPC reserves"
              + " header names ending in -bin for binary metadata");
    }
    return PREFIX.concat(keyName);
  }

  /**
   * The key name carried by a header name, or null when {@code headerName} is not {@code
   * reqctx-key-} followed by a valid key name. Header names are expected in lower case, as gRPC and
   * HTTP/2 deliver them.
   */
  public static @Nullable String keyNameOf(String headerName) {
    requireNonNull(headerName, "headerName");
    int length = headerName.length();
    if (length <= PREFIX.length()
        || length > PREFIX.length() + MAX_KEY_NAME_LENGTH
        || !headerName.startsWith(PREFIX)
        || !isValidKeyName(headerName, PREFIX.length())) {
      return null;
    }
    return headerName.substring(PREFIX.length());
  }

  /**
   * Percent-encodes a value for the wire. Returns {@code raw} itself when it holds only unreserved
   * characters. An unpaired surrogate cannot be written as UTF-8 and is sent as {@code ?}, as
   * {@link String#getBytes} does; every well-formed string round-trips through {@link
   * #decodeValue}.
   */
  public static String encodeValue(String raw) {
    return PercentEncoding.encode(requireNonNull(raw, "raw"), KeyHeader::isUnreserved);
  }

  /**
   * Decodes a value from the wire.
   *
   * @param maxEncodedLength the key's limit on the encoded (on-the-wire) length
   * @return the value, or null when {@code encoded} is longer than {@code maxEncodedLength}, holds
   *     a character outside {@code !}..{@code ~}, a {@code %} not followed by two hex digits, or
   *     bytes that are not valid UTF-8
   */
  public static @Nullable String decodeValue(CharSequence encoded, int maxEncodedLength) {
    requireNonNull(encoded, "encoded");
    int length = encoded.length();
    if (length > maxEncodedLength) {
      return null;
    }
    for (int i = 0; i < length; i++) {
      char c = encoded.charAt(i);
      if (c < '!' || c > '~') {
        return null;
      }
    }
    return PercentEncoding.decode(encoded, 0, length, PercentEncoding.InvalidUtf8.REJECT);
  }

  /** Checks the key-name grammar on {@code value[start..]}. */
  private static boolean isValidKeyName(String value, int start) {
    int length = value.length() - start;
    if (length <= 0 || length > MAX_KEY_NAME_LENGTH) {
      return false;
    }
    char first = value.charAt(start);
    if (!((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9'))) {
      return false;
    }
    for (int i = start + 1; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return !endsInBinarySuffix(value, length);
  }

  /** The header name ends in -bin when the key name does, or when the key name is "bin" itself. */
  private static boolean endsInBinarySuffix(String value, int keyNameLength) {
    return value.endsWith(BINARY_SUFFIX) || (keyNameLength == 3 && value.endsWith("bin"));
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }
}
