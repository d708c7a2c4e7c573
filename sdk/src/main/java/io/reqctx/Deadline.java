package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An absolute point in time on a {@link Ticker}. Deadlines only ever shrink along a request: combine
 * them with {@link #min}. A deadline never crosses the wire as a timestamp (clocks differ between
 * machines); transports send {@link #remaining()} instead.
 *
 * <pre>{@code
 * Deadline own = Deadline.after(Duration.ofSeconds(3));
 * Deadline effective = own.min(inbound);
 * if (effective.isExpired()) { ... }
 * }</pre>
 */
public final class Deadline implements Comparable<Deadline> {
  // 100 years, as grpc-java's Deadline: far beyond any budget, and two readings this far apart still
  // subtract without overflow (deadlines compare and count down by differences of nanoTime() values).
  static final long MAX_NANOS = TimeUnit.DAYS.toNanos(100 * 365);
  static final Duration MAX_DURATION = Duration.ofNanos(MAX_NANOS);
  private static final Duration MIN_DURATION = Duration.ofNanos(-MAX_NANOS);

  private final Ticker ticker;
  private final long expiresAtNanos;

  private Deadline(Ticker ticker, long expiresAtNanos) {
    this.ticker = ticker;
    this.expiresAtNanos = expiresAtNanos;
  }

  /** A deadline {@code budget} from now on the system ticker. */
  public static Deadline after(Duration budget) {
    return after(budget, Ticker.system());
  }

  /** A deadline {@code budget} from now on {@code ticker}; a negative budget is already expired. */
  public static Deadline after(Duration budget, Ticker ticker) {
    requireNonNull(budget, "budget");
    return afterNanos(saturatedNanos(budget), ticker);
  }

  /** A deadline {@code nanos} from now on {@code ticker}; the offset saturates at &plusmn;100 years. */
  public static Deadline afterNanos(long nanos, Ticker ticker) {
    requireNonNull(ticker, "ticker");
    return new Deadline(ticker, ticker.nanoTime() + clampNanos(nanos));
  }

  /** The ticker this deadline is measured on. */
  public Ticker ticker() {
    return ticker;
  }

  /** Nanoseconds left; zero or negative once expired. */
  public long remainingNanos() {
    return expiresAtNanos - ticker.nanoTime();
  }

  /** Time left, never negative: {@link Duration#ZERO} once expired. */
  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, remainingNanos()));
  }

  /** Whether the deadline has passed. */
  public boolean isExpired() {
    return remainingNanos() <= 0;
  }

  /** Whether this deadline comes strictly before {@code other}. */
  public boolean isBefore(Deadline other) {
    return compareTo(other) < 0;
  }

  /** The earlier of the two deadlines. */
  public Deadline min(Deadline other) {
    return compareTo(other) <= 0 ? this : other;
  }

  /**
   * Orders deadlines by time.
   *
   * @throws IllegalArgumentException when the two deadlines are on different tickers
   */
  @Override
  public int compareTo(Deadline other) {
    if (other.ticker != ticker) {
      throw new IllegalArgumentException(
          "cannot compare deadlines on different tickers (" + ticker + " vs " + other.ticker + ")");
    }
    return Long.compare(expiresAtNanos - other.expiresAtNanos, 0);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Deadline d && d.ticker == ticker && d.expiresAtNanos == expiresAtNanos;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(expiresAtNanos) * 31 + System.identityHashCode(ticker);
  }

  @Override
  public String toString() {
    long nanos = remainingNanos();
    return nanos > 0
        ? "Deadline[" + formatNanos(nanos) + " remaining]"
        : "Deadline[expired " + formatNanos(-nanos) + " ago]";
  }

  /** {@code d} in nanoseconds, saturated at &plusmn;100 years: never throws, whatever the duration. */
  static long saturatedNanos(Duration d) {
    if (d.compareTo(MAX_DURATION) >= 0) {
      return MAX_NANOS;
    }
    return d.compareTo(MIN_DURATION) <= 0 ? -MAX_NANOS : d.toNanos();
  }

  /** {@code d} saturated at &plusmn;100 years, so that {@code toNanos()} and {@code toMillis()} never overflow. */
  static Duration saturated(Duration d) {
    long nanos = saturatedNanos(d);
    return Math.abs(nanos) == MAX_NANOS ? Duration.ofNanos(nanos) : d;
  }

  private static long clampNanos(long nanos) {
    return Math.max(-MAX_NANOS, Math.min(MAX_NANOS, nanos));
  }

  static String formatNanos(long nanos) {
    if (nanos >= 1_000_000_000L) {
      return String.format(java.util.Locale.ROOT, "%.3fs", nanos / 1e9);
    }
    return String.format(java.util.Locale.ROOT, "%.3fms", nanos / 1e6);
  }
}
