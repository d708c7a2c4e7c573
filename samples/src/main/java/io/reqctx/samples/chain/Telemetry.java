package io.reqctx.samples.chain;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
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
 * SpanSummaries} and, when an endpoint is given, to an OTLP/HTTP collector as well.
 *
 * <pre>{@code
 * try (Telemetry telemetry = Telemetry.create(URI.create("http://localhost:4318/v1/traces"), System.out::println)) {
 *   OpenTelemetry otel = telemetry.forRole(Role.ORDER);
 * }
 * }</pre>
 */
public final class Telemetry implements AutoCloseable {
  private final SpanSummaries console;
  private final @Nullable URI otlpTracesEndpoint;
  private final List<OpenTelemetrySdk> sdks = new ArrayList<>();

  private Telemetry(SpanSummaries console, @Nullable URI otlpTracesEndpoint) {
    this.console = console;
    this.otlpTracesEndpoint = otlpTracesEndpoint;
  }

  /**
   * Telemetry exporting to the console and, when {@code otlpTracesEndpoint} is not null, to that
   * OTLP/HTTP traces endpoint (e.g. {@code http://localhost:4318/v1/traces}).
   *
   * @param printLocalRoots where to print a line per finished local trace, or null to keep the lines
   *     for {@link SpanSummaries#summary} only
   */
  public static Telemetry create(@Nullable URI otlpTracesEndpoint, @Nullable Consumer<String> printLocalRoots) {
    return new Telemetry(new SpanSummaries(printLocalRoots), otlpTracesEndpoint);
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
    if (otlpTracesEndpoint != null) {
      // One exporter per SDK: shutting an SDK down shuts its exporter down.
      SpanExporter otlp = OtlpHttpSpanExporter.builder().setEndpoint(otlpTracesEndpoint.toString()).build();
      tracing.addSpanProcessor(BatchSpanProcessor.builder(otlp).build());
    }
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(tracing.build())
        .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
            W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
        .build();
    sdks.add(sdk);
    return sdk;
  }

  /** Flushes and shuts down every SDK (the OTLP exporter sends what it still holds). */
  @Override
  public synchronized void close() {
    for (OpenTelemetrySdk sdk : sdks) {
      sdk.shutdown().join(5, java.util.concurrent.TimeUnit.SECONDS);
    }
    sdks.clear();
  }
}
