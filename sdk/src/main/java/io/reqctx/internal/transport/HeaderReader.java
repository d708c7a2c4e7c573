package io.reqctx.internal.transport;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Read access to the headers (or gRPC metadata) of an inbound request, as a transport adapts them.
 * Names are lower case.
 *
 * <pre>{@code
 * HeaderReader reader = new HeaderReader() {
 *   public List<String> all(String name) { return request.headers().getAll(name); }
 *   public Iterable<String> names() { return request.headers().names(); }
 * };
 * }</pre>
 */
public interface HeaderReader {

  /** Every value of header {@code name}, in arrival order; empty when absent. */
  List<String> all(String name);

  /** The names of the headers present (for propagators that look for prefixed fields). */
  Iterable<String> names();

  /**
   * The value of {@code name} when it arrived exactly once; null when it is absent or repeated (a
   * repeated single-valued header is ambiguous, so reqctx ignores it).
   */
  default @Nullable String single(String name) {
    List<String> values = all(name);
    return values.size() == 1 ? values.get(0) : null;
  }
}
