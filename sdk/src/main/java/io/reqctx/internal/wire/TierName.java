package io.reqctx.internal.wire;

import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code reqctx-tier}: the caller's tier name. Grammar {@code [a-z][a-z0-9_-]{0,31}}.
 *
 * <p>Upper-case input is malformed, not folded: tier names are identifiers compared exactly, every
 * reqctx sender writes them in lower case, and accepting two spellings would give a second way to
 * name one tier (and cost an allocation on every request).
 *
 * <pre>{@code
 * TierName.parse("service");  // "service"
 * TierName.parse("Service");  // null: malformed
 * }</pre>
 */
public final class TierName {


  /** Longest tier name. */
  public static final int MAX_LENGTH = 32;

  private TierName() {}

  /** True when {@code value} matches {@code [a-z][a-z0-9_-]{0,31}}. */
  public static boolean isValid(@Nullable CharSequence value) {
    if (value == null) {
      return false;
    }
    int length = value.length();
    if (length == 0 || length > MAX_LENGTH) {
      return false;
    }
    char first = value.charAt(0);
    if (first < 'a' || first > 'z') {
      return false;
    }
    for (int i = 1; i < length; i++) {
      char c = value.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The tier name, or null when {@code value} is null or malformed. */
  public static @Nullable String parse(@Nullable CharSequence value) {
    return isValid(value) ? value.toString() : null;
  }
}
