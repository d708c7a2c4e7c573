package io.reqctx.internal.wire;

import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code reqctx-elapsed-us}, the response header (gRPC: trailer) in which a callee reports
 * how long it held the call: microseconds from reading the request to writing the header, on the
 * callee's own clock (a duration, never an instant, so clock skew between hosts does not matter). The
 * caller subtracts it from its own elapsed time to learn the transit cost of the hop. Grammar: 1 to 10
 * ASCII digits, no sign, no whitespace, no unit.
 *
 * <pre>{@code
 * ElapsedMicros.format(1_834_000);      // "1834": 1.834 ms
 * ElapsedMicros.parseMicros("1834");    // OptionalLong[1834]
 * ElapsedMicros.parseMicros("1.8ms");   // OptionalLong.empty(): malformed
 * }</pre>
 */
public final class ElapsedMicros {

  /** Maximum number of digits. */
  public static final int MAX_DIGITS = 10;

  /** Largest value the header can carry, about 2.8 hours. */
  public static final long MAX_MICROS = 9_999_999_999L;

  private ElapsedMicros() {}

  /**
   * Parses the callee's elapsed microseconds.
   *
   * @return 0 to {@link #MAX_MICROS}; empty when null, empty or malformed
   */
  public static OptionalLong parseMicros(@Nullable CharSequence value) {
    long micros = AsciiDigits.parse(value, MAX_DIGITS);
    return micros == AsciiDigits.MALFORMED ? OptionalLong.empty() : OptionalLong.of(micros);
  }

  /**
   * Encodes elapsed nanoseconds as whole microseconds, rounded down: negative becomes {@code "0"},
   * values above {@link #MAX_MICROS} are capped to it.
   */
  public static String format(long nanos) {
    return Long.toString(Math.max(0, Math.min(nanos / 1_000, MAX_MICROS)));
  }
}
