package io.reqctx.resilience4j.grpc;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** String unary services on Netty servers bound to 127.0.0.1, without protoc. */
final class Loopback {
  private Loopback() {}

  static final Metadata.Key<String> ATTEMPT = Metadata.Key.of("reqctx-attempt", Metadata.ASCII_STRING_MARSHALLER);

  interface Handler {
    String handle(String request, Metadata headers) throws Exception;
  }

  /** A reqctx server (TRUSTED, tier {@code tier}) answering {@code method} with {@code handler}. */
  static Server serve(MethodDescriptor<String, String> method, Tier tier, Handler handler) {
    io.grpc.Context.Key<Metadata> headersKey = io.grpc.Context.key("headers");
    ServerServiceDefinition service = ServerServiceDefinition.builder(method.getServiceName())
        .addMethod(method, ServerCalls.asyncUnaryCall((request, responses) -> {
          try {
            responses.onNext(handler.handle(request, headersKey.get()));
            responses.onCompleted();
          } catch (StatusRuntimeException e) {
            responses.onError(e);
          } catch (Exception e) {
            responses.onError(Status.UNKNOWN.withDescription(e.toString()).asRuntimeException());
          }
        }))
        .build();
    io.grpc.ServerInterceptor keepHeaders = new io.grpc.ServerInterceptor() {
      @Override
      public <ReqT, RespT> io.grpc.ServerCall.Listener<ReqT> interceptCall(io.grpc.ServerCall<ReqT, RespT> call,
          Metadata headers, io.grpc.ServerCallHandler<ReqT, RespT> next) {
        return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(headersKey, headers), call, headers, next);
      }
    };
    ServerConfig config = ServerConfig.builder(tier, Trust.TRUSTED).openTelemetry(OpenTelemetry.noop()).build();
    try {
      return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(ServerInterceptors.intercept(service, RequestCtxServerInterceptor.create(config), keepHeaders))
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ManagedChannel channelTo(Server server) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  static void shutdown(List<Object> resources) throws InterruptedException {
    for (Object resource : resources) {
      if (resource instanceof ManagedChannel channel) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } else if (resource instanceof Server server) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
