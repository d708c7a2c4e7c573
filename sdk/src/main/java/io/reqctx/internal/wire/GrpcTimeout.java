package io.reqctx.internal.wire;

import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code grpc-timeout}, exactly as the gRPC over HTTP/2 protocol defines it: {@code
 * TimeoutValue TimeoutUnit}, the value 1 to 8 ASCII digits, the unit one of {@code H} (hours),
 * {@code M} (minutes), {@code S} (seconds), {@code m} (milliseconds), {@code u} (microseconds),
 * {@code n} (nanoseconds). The value is the caller's remaining time, never a wall-clock instant.
 *
 * <pre>{@code
 * GrpcTimeout.parseNanos("250m");      // OptionalLong[250000000]
 * GrpcTimeout.parseNanos("-1S");       // OptionalLong.empty(): malformed
 * GrpcTimeout.format(3_000_000_000L);  // "3000000u"
 * }</pre>
 *
 * <p><b>Zero.</b> The spec says "positive integer", but grpc-java and other implementations send
 * and accept {@code 0n} for a deadline that has already passed. reqctx reads a zero value as
 * well-formed and meaning "no time left" (the call expires at once), and writes {@code 0n} for any
 * budget that is zero or negative. A malformed value, by contrast, is ignored (no deadline from
 * this header).
 */
public final class GrpcTimeout {


  /** The protocol's limit on TimeoutValue digits. */
  public static final int MAX_DIGITS = 8;

  /** Digits plus the unit character: nothing longer is ever looked at. */
  private static final int MAX_LENGTH = MAX_DIGITS + 1;

  /** Smallest 9-digit number: a value must stay below it to fit. */
  private static final long DIGITS_LIMIT = 100_000_000L;

  private static final long NANOS_PER_MICRO = 1_000L;
  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final long NANOS_PER_MINUTE = 60 * NANOS_PER_SECOND;
  private static final long NANOS_PER_HOUR = 60 * NANOS_PER_MINUTE;

  /** Units from finest to coarsest; {@link #format} takes the first one where the value fits. */
  private static final char[] UNITS = {'n', 'u', 'm', 'S', 'M', 'H'};

  private static final long[] UNIT_NANOS = {
    1, NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_SECOND, NANOS_PER_MINUTE, NANOS_PER_HOUR
  };

  private GrpcTimeout() {}

  /**
   * Parses a {@code grpc-timeout} value into nanoseconds.
   *
   * @return the timeout in nanoseconds ({@code 0} means no time left), saturated at {@link
   *     Long#MAX_VALUE} (only {@code H} values above 2562047 overflow); empty when {@code value} is
   *     null, empty or malformed: a sign, whitespace, 9 or more digits, non-ASCII digits, a missing
   *     or unknown unit.
   */
  public static OptionalLong parseNanos(@Nullable CharSequence value) {
    if (value == null) {
      return OptionalLong.empty();
    }
    int length = value.length();
    if (length < 2 || length > MAX_LENGTH) {
      return OptionalLong.empty();
    }
    long unitNanos = unitNanos(value.charAt(length - 1));
    if (unitNanos == 0) {
      return OptionalLong.empty();
    }
    long amount = AsciiDigits.parse(value, 0, length - 1, MAX_DIGITS);
    if (amount == AsciiDigits.MALFORMED) {
      return OptionalLong.empty();
    }
    if (amount > Long.MAX_VALUE / unitNanos) {
      return OptionalLong.of(Long.MAX_VALUE);
    }
    return OptionalLong.of(amount * unitNanos);
  }

  /**
   * Encodes a remaining budget in the finest unit whose value fits in 8 digits.
   *
   * <p>The value is truncated toward zero, never rounded up: a receiver must never see more budget
   * than the sender had. The loss is below one unit of the chosen unit (below one part in 10^5
   * whenever a coarser unit than {@code n} is chosen). A positive budget never encodes as zero, and
   * every {@code long} fits ({@link Long#MAX_VALUE} nanoseconds is 2562047 hours).
   *
   * @param nanos remaining nanoseconds; zero or negative encodes as {@code 0n} (no time left)
   */
  public static String format(long nanos) {
    if (nanos <= 0) {
      return "0n";
    }
    for (int i = 0; i < UNITS.length; i++) {
      long amount = nanos / UNIT_NANOS[i];
      if (amount < DIGITS_LIMIT) {
        return Long.toString(amount).concat(String.valueOf(UNITS[i]));
      }
    }
    throw new AssertionError("unreachable: Long.MAX_VALUE nanoseconds fits in hours");
  }

  /** Nanoseconds per unit, or 0 for a character that is not a unit. */
  private static long unitNanos(char unit) {
    switch (unit) {
      case 'n':
        return 1;
      case 'u':
        return NANOS_PER_MICRO;
      case 'm':
        return NANOS_PER_MILLI;
      case 'S':
        return NANOS_PER_SECOND;
      case 'M':
        return NANOS_PER_MINUTE;
      case 'H':
        return NANOS_PER_HOUR;
      default:
        return 0;
    }
  }
}
