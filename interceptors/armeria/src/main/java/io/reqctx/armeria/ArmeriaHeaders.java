package io.reqctx.armeria;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import io.netty.util.AsciiString;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.transport.HeaderWriter;
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
  private ArmeriaHeaders() {}

  /**
   * Every value of a header as Armeria received it, in arrival order, never joined: each codec bounds
   * its input (docs/WIRE.md, "Bounded") and applies the repeated-header rules itself.
   */
  static HeaderReader reader(HttpHeaders headers) {
    return headers::getAll;
  }

  /** Writes into a request being built: {@code put} replaces every value, {@code remove} drops them. */
  static HeaderWriter writer(HttpHeadersBuilder builder) {
    return new HeaderWriter() {
      @Override
      public void put(String name, String value) {
        builder.set(name, value);
      }

      @Override
      public void remove(String name) {
        builder.remove(name);
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
