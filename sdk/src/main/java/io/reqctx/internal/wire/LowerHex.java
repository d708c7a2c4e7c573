package io.reqctx.internal.wire;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Lower-case hexadecimal, the alphabet of generated request ids and of the W3C trace and parent
 * ids ({@code HEXDIGLC}: {@code 0-9 a-f}, never upper case).
 */
final class LowerHex {

  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private LowerHex() {}

  /** Writes {@code bits} as 16 hex digits into {@code into[offset, offset + 16)}. */
  static void write(long bits, char[] into, int offset) {
    for (int i = 15; i >= 0; i--) {
      into[offset + i] = DIGITS[(int) (bits & 0xF)];
      bits >>>= 4;
    }
  }

  /** {@code count} random 64-bit words as {@code 16 * count} hex digits; never all zeros. */
  static String randomNonZero(int count) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] hex = new char[16 * count];
    boolean allZero;
    do {
      allZero = true;
      for (int i = 0; i < count; i++) {
        long bits = random.nextLong();
        allZero &= bits == 0;
        write(bits, hex, 16 * i);
      }
    } while (allZero); // an all-zero id is invalid in W3C Trace Context; 2^-64 per attempt
    return new String(hex);
  }

  /** The value 0-15 of a lower-case hex digit, or -1 for anything else (including 'A'-'F'). */
  static int digit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  /** True when {@code value[start, end)} is non-empty lower-case hex. */
  static boolean isLowerHex(CharSequence value, int start, int end) {
    if (start >= end) {
      return false;
    }
    for (int i = start; i < end; i++) {
      if (digit(value.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** True when every character of {@code value[start, end)} is {@code '0'}. */
  static boolean isAllZeros(CharSequence value, int start, int end) {
    for (int i = start; i < end; i++) {
      if (value.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }
}
