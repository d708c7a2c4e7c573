package io.reqctx.chaos;

import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.grpc.Metadata;
import io.reqctx.internal.wire.BudgetMillis;
import io.reqctx.internal.wire.EnvoyExpectedTimeout;
import io.reqctx.internal.wire.GrpcTimeout;
import io.reqctx.internal.wire.WireHeaders;
import java.util.OptionalLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Applies a {@link Fault.DeadlineSkew} to the deadline headers of a request, through reqctx's wire
 * codecs (the header grammar lives there only). Each header present is skewed on its own; the skew is
 * monotonic, so the smallest stays the smallest.
 */
final class BudgetHeaders {
  static final Metadata.Key<String> GRPC_TIMEOUT = Metadata.Key.of(WireHeaders.GRPC_TIMEOUT, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of(WireHeaders.REQUEST_ID, Metadata.ASCII_STRING_MARSHALLER);

  private BudgetHeaders() {}

  /**
   * A budget before and after the skew.
   *
   * @param beforeNanos what the caller sent (the smallest of the headers)
   * @param afterNanos what the request carries now
   */
  record Skewed(long beforeNanos, long afterNanos) {}

  /** Skews a well-formed, single {@code grpc-timeout}; null when there is none (nothing to skew). */
  static @Nullable Skewed skewGrpc(Metadata headers, Fault.DeadlineSkew skew) {
    Iterable<String> values = headers.getAll(GRPC_TIMEOUT);
    if (values == null) {
      return null;
    }
    String only = null;
    int count = 0;
    for (String value : values) {
      only = value;
      count++;
    }
    OptionalLong nanos = count == 1 ? GrpcTimeout.parseNanos(only) : OptionalLong.empty();
    if (nanos.isEmpty()) {
      return null;
    }
    long after = skew.apply(nanos.getAsLong());
    headers.discardAll(GRPC_TIMEOUT);
    headers.put(GRPC_TIMEOUT, GrpcTimeout.format(after));
    return new Skewed(nanos.getAsLong(), after);
  }

  /**
   * Skews {@code reqctx-budget-ms}, {@code grpc-timeout} and {@code x-envoy-expected-rq-timeout-ms},
   * each when present and well-formed; null when none is.
   */
  static @Nullable SkewedHttp skewHttp(RequestHeaders headers, Fault.DeadlineSkew skew) {
    RequestHeadersBuilder builder = headers.toBuilder();
    long before = skewMillis(headers, builder, WireHeaders.BUDGET_MS, BudgetMillis::parseMillis, skew, Long.MAX_VALUE);
    OptionalLong grpc = GrpcTimeout.parseNanos(headers.get(WireHeaders.GRPC_TIMEOUT));
    if (grpc.isPresent()) {
      builder.set(WireHeaders.GRPC_TIMEOUT, GrpcTimeout.format(skew.apply(grpc.getAsLong())));
      before = Math.min(before, grpc.getAsLong());
    }
    before = skewMillis(headers, builder, WireHeaders.ENVOY_EXPECTED_RQ_TIMEOUT_MS, EnvoyExpectedTimeout::parseMillis, skew, before);
    return before == Long.MAX_VALUE ? null : new SkewedHttp(builder.build(), new Skewed(before, skew.apply(before)));
  }

  /**
   * Skews header {@code name}, decimal milliseconds read by {@code parse} (both such headers share the
   * grammar, so the budget header's encoder writes either); returns the smaller of {@code smallest} and
   * its value before the skew, in nanoseconds.
   */
  private static long skewMillis(RequestHeaders headers, RequestHeadersBuilder builder, String name,
      Function<@Nullable CharSequence, OptionalLong> parse, Fault.DeadlineSkew skew, long smallest) {
    OptionalLong millis = parse.apply(headers.get(name));
    if (millis.isEmpty()) {
      return smallest;
    }
    long nanos = millis.getAsLong() * 1_000_000;
    builder.set(name, BudgetMillis.format(skew.apply(nanos) / 1_000_000));
    return Math.min(smallest, nanos);
  }

  /** The skewed headers of an HTTP request. */
  record SkewedHttp(RequestHeaders headers, Skewed budget) {}
}
