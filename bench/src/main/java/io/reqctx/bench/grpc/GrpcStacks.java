package io.reqctx.bench.grpc;

import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerStreamTracer;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * String unary services on grpc-java servers without protoc, and the OpenTelemetry SDK the
 * instrumented variants share: every span is sampled and handed to an exporter that drops it (the
 * export path runs, nothing is kept), metrics go to a reader that would export once an hour (the
 * instruments record, nothing is collected during a run).
 */
public final class GrpcStacks {
  private GrpcStacks() {}

  /** The two transports of the per-call benchmark. */
  public enum Transport { INPROCESS, NETTY }

  private static final AtomicLong NAMES = new AtomicLong();

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
    return method(MethodDescriptor.MethodType.UNARY, fullMethodName);
  }

  public static MethodDescriptor<String, String> serverStreaming(String fullMethodName) {
    return method(MethodDescriptor.MethodType.SERVER_STREAMING, fullMethodName);
  }

  private static MethodDescriptor<String, String> method(MethodDescriptor.MethodType type, String fullMethodName) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(type)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();
  }

  /** A handler run on the server's executor; it answers through {@code responses}. */
  public interface Handler {
    void handle(String request, io.grpc.stub.StreamObserver<String> responses);
  }

  public static ServerServiceDefinition service(MethodDescriptor<String, String> method, Handler handler) {
    return ServerServiceDefinition.builder(MethodDescriptor.extractFullServiceName(method.getFullMethodName()))
        .addMethod(method, ServerCalls.asyncUnaryCall(handler::handle))
        .build();
  }

  /** One service with a unary and a server-streaming method (both in service {@code unary}'s name). */
  public static ServerServiceDefinition service(
      MethodDescriptor<String, String> unary, Handler unaryHandler,
      MethodDescriptor<String, String> serverStreaming, Handler streamingHandler) {
    return ServerServiceDefinition.builder(MethodDescriptor.extractFullServiceName(unary.getFullMethodName()))
        .addMethod(unary, ServerCalls.asyncUnaryCall(unaryHandler::handle))
        .addMethod(serverStreaming, ServerCalls.asyncServerStreamingCall(streamingHandler::handle))
        .build();
  }

  /** One server and a channel to it. */
  public record Endpoint(Server server, ManagedChannel channel) implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Starts {@code service} with {@code interceptors} (the last runs first) and optional stream tracer
   * factories. In-process: server and channel on the direct executor, so a blocking call runs entirely
   * on the calling thread and only the per-call work is measured. Netty: 127.0.0.1, a free port,
   * grpc's default executors, plaintext.
   */
  public static Endpoint start(Transport transport, ServerServiceDefinition service, List<ServerStreamTracer.Factory> tracers,
      ServerInterceptor... interceptors) {
    ServerServiceDefinition intercepted = ServerInterceptors.intercept(service, interceptors);
    try {
      if (transport == Transport.INPROCESS) {
        String name = "reqctx-bench-" + NAMES.incrementAndGet();
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor().addService(intercepted);
        tracers.forEach(builder::addStreamTracerFactory);
        Server server = builder.build().start();
        return new Endpoint(server, InProcessChannelBuilder.forName(name).directExecutor().build());
      }
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(intercepted);
      tracers.forEach(builder::addStreamTracerFactory);
      Server server = builder.build().start();
      return new Endpoint(server, netty(server.getPort()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ManagedChannel netty(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** Runs tasks on the calling thread. */
  public static final Executor DIRECT = Runnable::run;

  /** An OpenTelemetry SDK that samples every span and records metrics, keeping neither. */
  public static OpenTelemetrySdk discardingOpenTelemetry() {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(new DroppingSpans())).build())
        .setMeterProvider(SdkMeterProvider.builder()
            .registerMetricReader(PeriodicMetricReader.builder(new DroppingMetrics()).setInterval(Duration.ofHours(1)).build())
            .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  private static final class DroppingSpans implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  private static final class DroppingMetrics implements MetricExporter {
    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
      return AggregationTemporality.CUMULATIVE;
    }

    @Override
    public CompletableResultCode export(Collection<MetricData> metrics) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
