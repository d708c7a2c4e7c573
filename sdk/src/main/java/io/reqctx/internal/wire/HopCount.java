package io.reqctx.internal.wire;

import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code reqctx-hop}: how many reqctx hops the request has passed, 1 to 5 ASCII digits (0
 * to 99999). A hop sends its own hop count plus one. The codec only reads and writes the number;
 * the hop limit that stops loops is applied by the interceptors.
 *
 * <pre>{@code
 * HopCount.parse("3");   // OptionalInt[3]
 * HopCount.parse("+3");  // OptionalInt.empty(): malformed
 * HopCount.format(4);    // "4"
 * }</pre>
 */
public final class HopCount {


  /** Maximum number of digits. */
  public static final int MAX_DIGITS = 5;

  /** Largest hop count the header can carry. */
  public static final int MAX_HOPS = 99_999;

  private HopCount() {}

  /**
   * Parses a hop count.
   *
   * @return 0 to {@link #MAX_HOPS}; empty when null, empty or malformed
   */
  public static OptionalInt parse(@Nullable CharSequence value) {
    long hops = AsciiDigits.parse(value, MAX_DIGITS);
    return hops == AsciiDigits.MALFORMED ? OptionalInt.empty() : OptionalInt.of((int) hops);
  }

  /**
   * Encodes a hop count, saturating at {@link #MAX_HOPS} so the header stays well-formed.
   *
   * @throws IllegalArgumentException if {@code hops} is negative (a bug in the caller, not input)
   */
  public static String format(int hops) {
    if (hops < 0) {
      throw new IllegalArgumentException("hop count must be >= 0, got " + hops);
    }
    return Integer.toString(Math.min(hops, MAX_HOPS));
  }
}
