package io.reqctx.internal.wire;

import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Codec for {@code x-envoy-expected-rq-timeout-ms}, the time an Envoy proxy in front of this
 * service will wait for the response, in milliseconds. Inbound only: reqctx reads it on HTTP
 * requests and never writes it.
 *
 * <p>Envoy writes the header as a plain decimal integer (e.g. {@code 15000}) and only when a
 * timeout applies. reqctx accepts the same grammar as {@link BudgetMillis}: 1 to 9 ASCII digits.
 * Unlike {@code reqctx-budget-ms}, a value of {@code 0} is read as absent, not as "no time left":
 * in Envoy's configuration a zero timeout means "no timeout", so a zero here cannot be a deadline
 * that has passed, and expiring the call at once would be the wrong reading.
 *
 * <pre>{@code
 * EnvoyExpectedTimeout.parseMillis("15000");  // OptionalLong[15000]
 * EnvoyExpectedTimeout.parseMillis("0");      // OptionalLong.empty()
 * }</pre>
 */
public final class EnvoyExpectedTimeout {


  /** Maximum number of digits accepted. */
  public static final int MAX_DIGITS = 9;

  private EnvoyExpectedTimeout() {}

  /**
   * Parses Envoy's expected timeout.
   *
   * @return 1 to 999999999 milliseconds; empty when null, malformed or zero
   */
  public static OptionalLong parseMillis(@Nullable CharSequence value) {
    long millis = AsciiDigits.parse(value, MAX_DIGITS);
    return millis <= 0 ? OptionalLong.empty() : OptionalLong.of(millis);
  }
}
