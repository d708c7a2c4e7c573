package io.reqctx.grpc;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.wire.GrpcTimeout;
import io.reqctx.internal.wire.WireHeaders;
import java.util.List;

/**
 * Drops a {@code grpc-timeout} that the reqctx codec rejects before grpc-java's server reads it: the
 * stream tracer factory sees each stream's headers first, and grpc-java would otherwise reset the
 * stream with INTERNAL_ERROR and log a stack trace ({@code 5x}, {@code 123456789S}, empty), or accept
 * values the protocol forbids ({@code -1S} as an expired deadline, {@code +5S}).
 */
final class MalformedTimeoutFilter extends ServerStreamTracer.Factory {
  private static final ServerStreamTracer NO_OP = new ServerStreamTracer() {};

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    HeaderReader reader = MetadataHeaders.reader(headers);
    List<String> values = reader.all(WireHeaders.GRPC_TIMEOUT);
    if (!values.isEmpty() && (values.size() > 1 || GrpcTimeout.parseNanos(values.get(0)).isEmpty())) {
      headers.discardAll(MetadataHeaders.key(WireHeaders.GRPC_TIMEOUT));
    }
    return NO_OP;
  }
}
