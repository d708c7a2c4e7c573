package io.reqctx.internal.wire;

import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code reqctx-budget-ms}, reqctx's HTTP deadline header: the caller's remaining time in
 * milliseconds, relative (never a wall-clock instant, so clock skew between hosts does not matter).
 * Grammar: 1 to 9 ASCII digits, no sign, no whitespace; {@code 0} is well-formed and means "no time
 * left".
 *
 * <pre>{@code
 * BudgetMillis.parseMillis("2750");  // OptionalLong[2750]
 * BudgetMillis.parseMillis("-5");    // OptionalLong.empty(): malformed
 * BudgetMillis.format(-3);           // "0"
 * }</pre>
 */
public final class BudgetMillis {


  /** Maximum number of digits. */
  public static final int MAX_DIGITS = 9;

  /** Largest value the header can carry, about 11.5 days. */
  public static final long MAX_MILLIS = 999_999_999L;

  private BudgetMillis() {}

  /**
   * Parses the remaining milliseconds.
   *
   * @return 0 to {@link #MAX_MILLIS}; empty when null, empty or malformed
   */
  public static OptionalLong parseMillis(@Nullable CharSequence value) {
    long millis = AsciiDigits.parse(value, MAX_DIGITS);
    return millis == AsciiDigits.MALFORMED ? OptionalLong.empty() : OptionalLong.of(millis);
  }

  /**
   * Encodes remaining milliseconds: negative becomes {@code "0"} (no time left), values above
   * {@link #MAX_MILLIS} are capped to it.
   */
  public static String format(long millis) {
    return Long.toString(Math.max(0, Math.min(millis, MAX_MILLIS)));
  }
}
