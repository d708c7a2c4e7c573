package io.reqctx.grpc;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * String-in, string-out unary services on real Netty servers, without protoc. Shared with the other
 * modules' tests through this module's test jar.
 */
public final class TestRpc {
  private TestRpc() {}

  public static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  public static MethodDescriptor<String, String> unary(String fullMethodName) {
    return method(fullMethodName, MethodDescriptor.MethodType.UNARY);
  }

  /** A string-in, string-out method of any shape. */
  public static MethodDescriptor<String, String> method(String fullMethodName, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(type)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();
  }

  /**
   * A handler that answers a request synchronously. A {@code StatusRuntimeException} it throws is the
   * call's status (as a handler passes it to {@code onError}); any other exception escapes the handler,
   * as a bug does, and grpc closes the call as it does for one ({@code UNKNOWN}).
   */
  public interface Handler {
    String handle(String request) throws Exception;
  }

  public static ServerServiceDefinition service(MethodDescriptor<String, String> method, Handler handler) {
    String serviceName = MethodDescriptor.extractFullServiceName(method.getFullMethodName());
    return ServerServiceDefinition.builder(serviceName)
        .addMethod(
            method,
            ServerCalls.asyncUnaryCall(
                (request, responses) -> {
                  String response;
                  try {
                    response = handler.handle(request);
                  } catch (io.grpc.StatusRuntimeException e) {
                    responses.onError(e);
                    return;
                  } catch (RuntimeException e) {
                    throw e;
                  } catch (Exception e) {
                    throw new IllegalStateException("handler failed", e);
                  }
                  responses.onNext(response);
                  responses.onCompleted();
                }))
        .build();
  }

  /** Starts a Netty server on 127.0.0.1, a free port, with the interceptors (the last runs first). */
  public static Server start(ServerServiceDefinition service, ServerInterceptor... interceptors) {
    try {
      return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(ServerInterceptors.intercept(service, interceptors))
          .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ManagedChannel channelTo(Server server) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  public static void shutdown(Iterable<? extends Object> resources) throws InterruptedException {
    for (Object resource : resources) {
      if (resource instanceof ManagedChannel channel) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } else if (resource instanceof Server server) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** A real OpenTelemetry SDK exporting to memory, with the W3C trace-context propagator. */
  public static OpenTelemetrySdk openTelemetry(InMemorySpanExporter exporter) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }
}
