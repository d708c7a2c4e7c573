package io.reqctx.chaos;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;

/** A real OpenTelemetry SDK whose spans and metrics the tests read back from memory. */
final class Telemetry implements AutoCloseable {
  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();

  /** The sum of counter {@code name} over the points whose attributes contain {@code match}. */
  long counter(String name, Attributes match) {
    long sum = 0;
    for (MetricData metric : metrics.collectAllMetrics()) {
      if (!metric.getName().equals(name)) {
        continue;
      }
      for (LongPointData point : metric.getLongSumData().getPoints()) {
        boolean all = true;
        for (var entry : match.asMap().entrySet()) {
          all &= entry.getValue().equals(point.getAttributes().get(entry.getKey()));
        }
        if (all) {
          sum += point.getValue();
        }
      }
    }
    return sum;
  }

  /** The events named {@code name} on the finished spans. */
  List<EventData> events(String name) {
    return spans.getFinishedSpanItems().stream().flatMap(s -> s.getEvents().stream())
        .filter(e -> e.getName().equals(name)).toList();
  }

  /** The finished spans with an event named {@code name}. */
  List<SpanData> spansWithEvent(String name) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getEvents().stream().anyMatch(e -> e.getName().equals(name))).toList();
  }

  @Override
  public void close() {
    sdk.close();
  }
}
