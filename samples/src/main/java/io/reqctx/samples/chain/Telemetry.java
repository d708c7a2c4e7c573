package io.reqctx.samples.chain;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.instrumentation.runtimetelemetry.RuntimeTelemetry;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The OpenTelemetry SDKs of the demo: one per tier (its own {@code service.name}, {@code
 * reqctx-samples-<role>}), W3C trace context and baggage propagation, spans to the console as {@link
 * SpanSummaries} and, when endpoints are given, to an OTLP/HTTP collector and to a Zipkin server as
 * well. With a metrics port, the first SDK made also serves its metrics (reqctx's and the JVM's) at
 * {@code http://127.0.0.1:<port>/metrics} in Prometheus text format.
 *
 * <pre>{@code
 * Telemetry.Exporters exporters = new Telemetry.Exporters(null, URI.create("http://127.0.0.1:9411/api/v2/spans"), 9464);
 * try (Telemetry telemetry = Telemetry.create(exporters, System.out::println)) {
 *   OpenTelemetry otel = telemetry.forRole(Role.ORDER);
 * }
 * }</pre>
 */
public final class Telemetry implements AutoCloseable {
  private final SpanSummaries console;
  private final Exporters exporters;
  private final List<OpenTelemetrySdk> sdks = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private @Nullable HTTPServer metricsServer;

  /**
   * Where spans and metrics go besides the console.
   *
   * @param otlpTraces an OTLP/HTTP traces endpoint, e.g. {@code http://localhost:4318/v1/traces}, or null
   * @param zipkinSpans a Zipkin spans endpoint, e.g. {@code http://127.0.0.1:9411/api/v2/spans}, or null
   * @param metricsPort the port on 127.0.0.1 serving {@code /metrics} (0: any free port), or null for none
   */
  public record Exporters(@Nullable URI otlpTraces, @Nullable URI zipkinSpans, @Nullable Integer metricsPort) {
    /**
     * {@code url} as Zipkin's spans endpoint: a server's base URL ({@code http://127.0.0.1:9411}) gets
     * {@code /api/v2/spans}; a URL with a path is taken as it is.
     */
    public static URI zipkinSpans(URI url) {
      String path = url.getPath();
      return path == null || path.isEmpty() || path.equals("/") ? url.resolve("/api/v2/spans") : url;
    }

    /** Console only. */
    public static Exporters none() {
      return new Exporters(null, null, null);
    }
  }

  private Telemetry(SpanSummaries console, Exporters exporters) {
    this.console = console;
    this.exporters = exporters;
  }

  /**
   * Telemetry exporting to the console and, when {@code otlpTracesEndpoint} is not null, to that
   * OTLP/HTTP traces endpoint (e.g. {@code http://localhost:4318/v1/traces}).
   *
   * @param printLocalRoots where to print a line per finished local trace, or null to keep the lines
   *     for {@link SpanSummaries#summary} only
   */
  public static Telemetry create(@Nullable URI otlpTracesEndpoint, @Nullable Consumer<String> printLocalRoots) {
    return create(new Exporters(otlpTracesEndpoint, null, null), printLocalRoots);
  }

  /**
   * Telemetry exporting to the console and to {@code exporters}.
   *
   * @param printLocalRoots where to print a line per finished local trace, or null
   */
  public static Telemetry create(Exporters exporters, @Nullable Consumer<String> printLocalRoots) {
    return new Telemetry(new SpanSummaries(printLocalRoots), java.util.Objects.requireNonNull(exporters, "exporters"));
  }

  /**
   * The port serving {@code /metrics}, once {@link #forRole} made the SDK whose metrics it serves.
   *
   * @throws IllegalStateException without a metrics port, or before the first {@link #forRole}
   */
  public synchronized int metricsPort() {
    if (metricsServer == null) {
      throw new IllegalStateException("no metrics served: give Exporters a metricsPort and call forRole first");
    }
    return metricsServer.getPort();
  }

  /** The console exporter, to read one line per trace. */
  public SpanSummaries console() {
    return console;
  }

  /** A new SDK for {@code role}, shut down with this object. */
  public synchronized OpenTelemetry forRole(Role role) {
    Resource resource = Resource.getDefault().merge(Resource.create(
        Attributes.of(AttributeKey.stringKey("service.name"), "reqctx-samples-" + role.cliName())));
    SdkTracerProviderBuilder tracing = SdkTracerProvider.builder()
        .setResource(resource)
        .addSpanProcessor(SimpleSpanProcessor.create(console));
    // One exporter per SDK: shutting an SDK down shuts its exporters down.
    if (exporters.otlpTraces() != null) {
      SpanExporter otlp = OtlpHttpSpanExporter.builder().setEndpoint(exporters.otlpTraces().toString()).build();
      tracing.addSpanProcessor(BatchSpanProcessor.builder(otlp).build());
    }
    if (exporters.zipkinSpans() != null) {
      SpanExporter zipkin = ZipkinSpanExporter.builder().setEndpoint(exporters.zipkinSpans().toString()).build();
      tracing.addSpanProcessor(BatchSpanProcessor.builder(zipkin).build());
    }
    var builder = OpenTelemetrySdk.builder()
        .setTracerProvider(tracing.build())
        .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
            W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())));
    PrometheusMetricReader metrics = null;
    if (exporters.metricsPort() != null && metricsServer == null) {
      metrics = PrometheusMetricReader.builder().build();
      builder.setMeterProvider(SdkMeterProvider.builder().setResource(resource).registerMetricReader(metrics).build());
    }
    OpenTelemetrySdk sdk = builder.build();
    sdks.add(sdk);
    if (metrics != null) {
      closeables.add(RuntimeTelemetry.create(sdk)); // the JVM's memory, GC, threads, CPU and classes
      PrometheusRegistry registry = new PrometheusRegistry();
      registry.register(metrics);
      try {
        metricsServer = HTTPServer.builder()
            .inetAddress(InetAddress.getLoopbackAddress())
            .port(exporters.metricsPort())
            .registry(registry)
            .buildAndStart();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot serve /metrics on 127.0.0.1:" + exporters.metricsPort()
            + " (--metrics-port): " + e.getMessage(), e);
      }
    }
    return sdk;
  }

  /** Flushes and shuts down every SDK (the OTLP exporter sends what it still holds). */
  @Override
  public synchronized void close() {
    if (metricsServer != null) {
      metricsServer.close();
      metricsServer = null;
    }
    for (AutoCloseable closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        // runtime metrics only unregister their callbacks; the SDKs still shut down below
      }
    }
    closeables.clear();
    for (OpenTelemetrySdk sdk : sdks) {
      sdk.shutdown().join(5, java.util.concurrent.TimeUnit.SECONDS);
    }
    sdks.clear();
  }
}
