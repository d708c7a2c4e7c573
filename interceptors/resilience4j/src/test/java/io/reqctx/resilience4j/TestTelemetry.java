package io.reqctx.resilience4j;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A real OpenTelemetry SDK with in-memory metrics and spans, for the hedging tests. */
public final class TestTelemetry {
  public final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  public final InMemorySpanExporter spans = InMemorySpanExporter.create();
  public final OpenTelemetry openTelemetry = OpenTelemetrySdk.builder()
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .build();

  /** The sum of counter {@code name} over the points whose attributes include {@code attributes}. */
  public long counter(String name, Map<String, String> attributes) {
    long sum = 0;
    for (MetricData metric : metrics.collectAllMetrics()) {
      if (!metric.getName().equals(name)) {
        continue;
      }
      for (LongPointData point : metric.getLongSumData().getPoints()) {
        boolean matches = attributes.entrySet().stream().allMatch(e ->
            Objects.equals(point.getAttributes().get(AttributeKey.stringKey(e.getKey())), e.getValue()));
        if (matches) {
          sum += point.getValue();
        }
      }
    }
    return sum;
  }

  public long counter(String name) {
    return counter(name, Map.of());
  }

  /** The names of the events on the ended spans, in order. */
  public List<String> eventNames() {
    return spans.getFinishedSpanItems().stream().flatMap(span -> span.getEvents().stream())
        .map(EventData::getName).toList();
  }

  /** The events named {@code name} on the ended spans. */
  public List<EventData> events(String name) {
    return spans.getFinishedSpanItems().stream().flatMap(span -> span.getEvents().stream())
        .filter(e -> e.getName().equals(name)).toList();
  }
}
