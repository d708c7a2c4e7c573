package io.reqctx.internal.transport;

/**
 * Write access to the headers (or gRPC metadata) of an outbound request, as a transport adapts them.
 *
 * <pre>{@code
 * outbound.writeHeaders((name, value) -> request.headers().set(name, value));
 * }</pre>
 */
@FunctionalInterface
public interface HeaderWriter {

  /** Sets header {@code name} (lower case) to {@code value}, replacing any value already there. */
  void put(String name, String value);
}
