package io.reqctx.internal.transport;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.reqctx.internal.wire.WireHeaders;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Lets OpenTelemetry propagators read a {@link HeaderReader}. A repeated {@code traceparent} is
 * ambiguous and reads as absent (a new trace starts); other repeated fields ({@code tracestate},
 * {@code baggage}) are list-valued and are joined with commas, as HTTP combines repeated fields.
 */
final class HeaderGetter implements TextMapGetter<HeaderReader> {
  static final HeaderGetter INSTANCE = new HeaderGetter();

  @Override
  public Iterable<String> keys(HeaderReader carrier) {
    return carrier.names();
  }

  @Override
  public @Nullable String get(@Nullable HeaderReader carrier, String key) {
    if (carrier == null) {
      return null;
    }
    if (key.equals(WireHeaders.TRACEPARENT)) {
      return carrier.single(key);
    }
    List<String> values = carrier.all(key);
    return values.isEmpty() ? null : String.join(",", values);
  }
}
