package io.reqctx.budgets;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** The duration grammar of budget files: a decimal number and a unit, {@code 800ms}, {@code 1.5s}, {@code 2m}. */
final class DurationText {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12}(?:\\.\\d{1,9})?)(ns|us|ms|s|m|h)");

  private DurationText() {}

  /** The duration, or null when {@code text} does not match the grammar. */
  static @Nullable Duration parse(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      return null;
    }
    BigDecimal nanosPerUnit = switch (m.group(2)) {
      case "ns" -> BigDecimal.ONE;
      case "us" -> BigDecimal.valueOf(1_000L);
      case "ms" -> BigDecimal.valueOf(1_000_000L);
      case "s" -> BigDecimal.valueOf(1_000_000_000L);
      case "m" -> BigDecimal.valueOf(60_000_000_000L);
      default -> BigDecimal.valueOf(3_600_000_000_000L);
    };
    BigDecimal nanos = new BigDecimal(m.group(1)).multiply(nanosPerUnit);
    if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      return null;
    }
    return Duration.ofNanos(nanos.longValue());
  }

  /** A short form for messages: whole milliseconds as {@code 800ms}, finer values as {@code 0.25ms}. */
  static String format(Duration duration) {
    BigDecimal millis = millis(duration);
    return (millis.scale() > 3 ? millis.setScale(3, java.math.RoundingMode.HALF_UP) : millis).stripTrailingZeros()
        .toPlainString() + "ms";
  }

  /** Exact milliseconds, without the overflow of {@link Duration#toNanos} past 292 years. */
  static BigDecimal millis(Duration duration) {
    return BigDecimal.valueOf(duration.getSeconds()).movePointRight(3)
        .add(BigDecimal.valueOf(duration.getNano()).movePointLeft(6));
  }
}
