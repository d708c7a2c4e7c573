package io.reqctx.internal.wire;

import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code reqctx-attempt}: which attempt of a call this is, {@code 1} for the first try,
 * {@code 2} for the first retry, and so on. Grammar: 1 to 3 ASCII digits with a value of at least
 * 1; {@code 0} is malformed.
 *
 * <pre>{@code
 * AttemptNumber.parse("2");  // OptionalInt[2]
 * AttemptNumber.parse("0");  // OptionalInt.empty(): attempts count from 1
 * AttemptNumber.format(1);   // "1"
 * }</pre>
 */
public final class AttemptNumber {


  /** Maximum number of digits. */
  public static final int MAX_DIGITS = 3;

  /** The first attempt. */
  public static final int FIRST = 1;

  /** Largest attempt number the header can carry. */
  public static final int MAX_ATTEMPT = 999;

  private AttemptNumber() {}

  /**
   * Parses an attempt number.
   *
   * @return 1 to {@link #MAX_ATTEMPT}; empty when null, empty, zero or malformed
   */
  public static OptionalInt parse(@Nullable CharSequence value) {
    long attempt = AsciiDigits.parse(value, MAX_DIGITS);
    return attempt < FIRST ? OptionalInt.empty() : OptionalInt.of((int) attempt);
  }

  /**
   * Encodes an attempt number, saturating at {@link #MAX_ATTEMPT} so the header stays well-formed.
   *
   * @throws IllegalArgumentException if {@code attempt} is below 1 (a bug in the caller, not input)
   */
  public static String format(int attempt) {
    if (attempt < FIRST) {
      throw new IllegalArgumentException("attempt numbers start at 1, got " + attempt);
    }
    return Integer.toString(Math.min(attempt, MAX_ATTEMPT));
  }
}
