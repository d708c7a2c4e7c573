package io.reqctx.armeria;

import com.linecorp.armeria.client.WebClient;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
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
import java.nio.charset.StandardCharsets;

/** String-in, string-out gRPC methods without protoc, and a real OpenTelemetry SDK exporting to memory. */
final class TestSupport {
  private TestSupport() {}

  static final MethodDescriptor.Marshaller<String> UTF8 =
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

  static MethodDescriptor<String, String> unary(String fullMethodName) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();
  }

  /** A handler that answers synchronously; any exception becomes the call's status. */
  interface Handler {
    String handle(String request) throws Exception;
  }

  static ServerServiceDefinition service(MethodDescriptor<String, String> method, Handler handler) {
    return ServerServiceDefinition.builder(MethodDescriptor.extractFullServiceName(method.getFullMethodName()))
        .addMethod(method, ServerCalls.asyncUnaryCall((request, responses) -> {
          try {
            responses.onNext(handler.handle(request));
            responses.onCompleted();
          } catch (Exception e) {
            responses.onError(io.grpc.Status.fromThrowable(e).withDescription(String.valueOf(e)).asRuntimeException());
          }
        }))
        .build();
  }

  static OpenTelemetrySdk openTelemetry(InMemorySpanExporter exporter) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /** A plain WebClient (no reqctx) standing for an outside caller. */
  static WebClient outsideClient(int port) {
    return WebClient.builder("http://127.0.0.1:" + port).build();
  }
}
