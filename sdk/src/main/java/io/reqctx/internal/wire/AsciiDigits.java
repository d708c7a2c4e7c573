package io.reqctx.internal.wire;

import org.jspecify.annotations.Nullable;

/**
 * The one decimal-digit parser behind every numeric codec: 1 to {@code maxDigits} ASCII digits
 * ({@code 0}-{@code 9}, nothing else: no sign, no whitespace, no non-ASCII digits such as {@code
 * '５'}). Leading zeros are accepted; codecs never emit them.
 *
 * <p>Returns {@link #MALFORMED} instead of throwing, and never reads more than {@code maxDigits}
 * characters, so a hostile 64 KiB header costs one length check.
 */
final class AsciiDigits {

  /** Returned for anything that is not 1 to maxDigits ASCII digits; every valid result is >= 0. */
  static final long MALFORMED = -1;

  /** 18 digits always fit in a long; the codecs use at most 9. */
  private static final int MAX_SUPPORTED_DIGITS = 18;

  private AsciiDigits() {}

  /** Parses the whole of {@code value}; {@link #MALFORMED} for null or anything not digits. */
  static long parse(@Nullable CharSequence value, int maxDigits) {
    if (value == null) {
      return MALFORMED;
    }
    return parse(value, 0, value.length(), maxDigits);
  }

  /** Parses {@code value[start, end)}; {@link #MALFORMED} unless it is 1 to maxDigits digits. */
  static long parse(CharSequence value, int start, int end, int maxDigits) {
    assert maxDigits > 0 && maxDigits <= MAX_SUPPORTED_DIGITS : maxDigits;
    int length = end - start;
    if (length <= 0 || length > maxDigits) {
      return MALFORMED;
    }
    long result = 0;
    for (int i = start; i < end; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return MALFORMED;
      }
      result = result * 10 + (c - '0');
    }
    return result;
  }
}
