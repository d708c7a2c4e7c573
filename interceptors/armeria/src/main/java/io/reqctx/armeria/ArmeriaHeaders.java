package io.reqctx.armeria;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import io.netty.util.AsciiString;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.wire.BudgetMillis;
import io.reqctx.internal.wire.EnvoyExpectedTimeout;
import io.reqctx.internal.wire.GrpcTimeout;
import io.reqctx.internal.wire.WireHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Adapts Armeria headers to the transport kernel, picks the inbound HTTP deadline, and keeps {@code
 * reqctx-*} headers where they belong. Header grammar stays in the {@code io.reqctx.internal.wire} codecs.
 */
final class ArmeriaHeaders {
  /**
   * A header value longer than this is invisible to reqctx (read as absent). Every reqctx grammar is
   * far shorter; the bound keeps a huge {@code tracestate} or {@code baggage} away from the propagator.
   */
  static final int MAX_VALUE_LENGTH = 8192;

  private ArmeriaHeaders() {}

  static HeaderReader reader(HttpHeaders headers) {
    return new HeaderReader() {
      @Override
      public List<String> all(String name) {
        List<String> values = headers.getAll(name);
        if (values.isEmpty()) {
          return List.of();
        }
        List<String> bounded = new ArrayList<>(values.size());
        for (String value : values) {
          if (value.length() <= MAX_VALUE_LENGTH) {
            bounded.add(value);
          }
        }
        // An oversized value among several still makes the header ambiguous: keep the count honest.
        return bounded.size() == values.size() ? bounded : List.of();
      }

      @Override
      public Iterable<String> names() {
        List<String> names = new ArrayList<>(headers.size());
        for (AsciiString name : headers.names()) {
          names.add(name.toString());
        }
        return names;
      }
    };
  }

  /**
   * The caller's remaining time on an HTTP request: the smallest well-formed of {@code
   * reqctx-budget-ms}, {@code grpc-timeout} and {@code x-envoy-expected-rq-timeout-ms} (docs/WIRE.md),
   * each read once through its codec; null when none is present and well-formed.
   */
  static @Nullable Duration inboundRemaining(HeaderReader headers) {
    Duration smallest = null;
    OptionalLong budget = BudgetMillis.parseMillis(headers.single(WireHeaders.BUDGET_MS));
    if (budget.isPresent()) {
      smallest = Duration.ofMillis(budget.getAsLong());
    }
    OptionalLong grpc = GrpcTimeout.parseNanos(headers.single(WireHeaders.GRPC_TIMEOUT));
    if (grpc.isPresent()) {
      smallest = smaller(smallest, Duration.ofNanos(grpc.getAsLong()));
    }
    OptionalLong envoy = EnvoyExpectedTimeout.parseMillis(headers.single(WireHeaders.ENVOY_EXPECTED_RQ_TIMEOUT_MS));
    if (envoy.isPresent()) {
      smallest = smaller(smallest, Duration.ofMillis(envoy.getAsLong()));
    }
    return smallest;
  }

  private static Duration smaller(@Nullable Duration current, Duration candidate) {
    // On a tie the earlier header in the precedence order stays the source.
    return current == null || candidate.compareTo(current) < 0 ? candidate : current;
  }

  static boolean hasReqctxHeader(HttpHeaders headers) {
    for (AsciiString name : headers.names()) {
      if (WireHeaders.isReqctxHeader(name.toString())) {
        return true;
      }
    }
    return false;
  }

  /** Removes every {@code reqctx-*} name from {@code builder}. */
  static void removeReqctxHeaders(HttpHeadersBuilder builder) {
    List<AsciiString> internal = new ArrayList<>();
    for (AsciiString name : builder.names()) {
      if (WireHeaders.isReqctxHeader(name.toString())) {
        internal.add(name);
      }
    }
    internal.forEach(builder::remove);
  }

  static RequestHeaders withoutReqctxHeaders(RequestHeaders headers) {
    if (!hasReqctxHeader(headers)) {
      return headers;
    }
    var builder = headers.toBuilder();
    removeReqctxHeaders(builder);
    return builder.build();
  }

  static ResponseHeaders withoutReqctxHeaders(ResponseHeaders headers) {
    if (!hasReqctxHeader(headers)) {
      return headers;
    }
    var builder = headers.toBuilder();
    removeReqctxHeaders(builder);
    return builder.build();
  }

  static HttpHeaders withoutReqctxHeaders(HttpHeaders headers) {
    if (!hasReqctxHeader(headers)) {
      return headers;
    }
    var builder = headers.toBuilder();
    removeReqctxHeaders(builder);
    return builder.build();
  }
}
