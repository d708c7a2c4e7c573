package io.reqctx.wire;

import org.jspecify.annotations.Nullable;

/** Placeholder until the wire codecs land. */
public final class KeyHeader {
  private KeyHeader() {}

  public static boolean isValidKeyName(String name) {
    return name.matches("[a-z0-9][a-z0-9_.-]{0,47}") && !name.endsWith("-bin");
  }

  public static String headerName(String keyName) {
    if (!isValidKeyName(keyName)) {
      throw new IllegalArgumentException("bad key name " + keyName);
    }
    return "reqctx-key-" + keyName;
  }

  public static String encodeValue(String raw) {
    return raw;
  }

  public static @Nullable String decodeValue(CharSequence encoded, int maxEncodedLength) {
    return encoded.length() > maxEncodedLength ? null : encoded.toString();
  }
}
