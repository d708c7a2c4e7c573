package io.reqctx.internal.transport;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Read access to the headers (or gRPC metadata) of an inbound request, as a transport adapts them.
 * Names are lower case. {@link #all} returns every value of a header as it arrived: one element per
 * header line or metadata entry, in arrival order, never joined or split by the adapter, so that the
 * codecs apply the repeated-header rules themselves (docs/WIRE.md, "Repeated headers").
 *
 * <pre>{@code
 * HeaderReader reader = name -> request.headers().getAll(name);
 * }</pre>
 */
@FunctionalInterface
public interface HeaderReader {

  /** Every value of header {@code name}, in arrival order; empty when absent. */
  List<String> all(String name);

  /**
   * The value of {@code name} when it arrived exactly once; null when it is absent or repeated (a
   * repeated single-valued header is ambiguous, so reqctx ignores it).
   */
  default @Nullable String single(String name) {
    List<String> values = all(name);
    return values.size() == 1 ? values.get(0) : null;
  }
}
