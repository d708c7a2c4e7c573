package io.reqctx.internal.transport;

/**
 * Write access to the headers (or gRPC metadata) of an outbound request, as a transport adapts them.
 *
 * <pre>{@code
 * HeaderWriter writer = new HeaderWriter() {
 *   public void put(String name, String value) { request.headers().set(name, value); }
 *   public void remove(String name) { request.headers().remove(name); }
 * };
 * outbound.writeHeaders(writer);
 * }</pre>
 */
public interface HeaderWriter {

  /** Sets header {@code name} (lower case) to {@code value}, replacing every value already there. */
  void put(String name, String value);

  /** Removes every value of header {@code name} (lower case); nothing when it is absent. */
  void remove(String name);
}
