package io.reqctx.grpc;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.reqctx.transport.HeaderReader;
import io.reqctx.transport.InboundCall;
import io.reqctx.transport.Rejection;
import io.reqctx.transport.ServerConfig;
import io.reqctx.wire.GrpcTimeout;
import io.reqctx.wire.WireHeaders;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** {@link ReqCtxServerInterceptor}: opens the reqctx scope of each call and binds it to the call. */
final class InboundInterceptor implements ServerInterceptor {
  private final ServerConfig config;

  InboundInterceptor(ServerConfig config) {
    this.config = config;
  }

  @Override
  @SuppressWarnings("MustBeClosedChecker") // the call is closed here on rejection, else by its binding
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Context callContext = Context.current();
    String method = call.getMethodDescriptor().getFullMethodName();
    HeaderReader reader = MetadataHeaders.reader(headers);
    InboundCall inbound = InboundCall.open(config, reader, method, inboundRemaining(reader, callContext));
    Rejection rejection = inbound.rejection();
    if (rejection != null) {
      try {
        call.close(GrpcStatuses.of(rejection), new Metadata());
      } finally {
        inbound.close();
      }
      return new ServerCall.Listener<>() {};
    }
    return ServerCallBinding.start(inbound, callContext, call, headers, next);
  }

  /**
   * The caller's remaining time: the earlier of {@code grpc-timeout} (read through the reqctx codec,
   * so a value the transport let through is still checked against the protocol grammar) and the
   * deadline the server already put on the call's {@link Context} (grpc-java does; Armeria does not).
   */
  private static @Nullable Duration inboundRemaining(HeaderReader headers, Context callContext) {
    OptionalLong fromHeader = GrpcTimeout.parseNanos(headers.single(WireHeaders.GRPC_TIMEOUT));
    io.grpc.Deadline fromContext = callContext.getDeadline();
    if (fromContext == null) {
      return fromHeader.isPresent() ? Duration.ofNanos(fromHeader.getAsLong()) : null;
    }
    long contextNanos = fromContext.timeRemaining(TimeUnit.NANOSECONDS);
    long nanos = fromHeader.isPresent() ? Math.min(fromHeader.getAsLong(), contextNanos) : contextNanos;
    return Duration.ofNanos(nanos);
  }

  @Override
  public String toString() {
    return "ReqCtxServerInterceptor[" + config.tier().name() + ", " + config.trust() + "]";
  }
}
