package io.reqctx.samples.chain;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The console span exporter of the demo: instead of a multi-line dump per span, one line per trace.
 * The embedded demo asks for a trace's line with {@link #summary}; a served tier prints a line each
 * time the part of a trace that ran in its process ends (its local root span).
 *
 * <pre>{@code
 * trace 4bf92f35...: 7 spans: gateway[SERVER ok, CLIENT ok] order[SERVER ok, CLIENT ok] ...
 * }</pre>
 *
 * <p>Keeps the spans of the last {@value #TRACES_KEPT} traces. Thread-safe.
 */
public final class SpanSummaries implements SpanExporter {
  private static final int TRACES_KEPT = 256;
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("reqctx.outcome");
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private final @Nullable Consumer<String> printLocalRoots;
  private final Map<String, List<SpanData>> byTrace = new LinkedHashMap<>(64, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, List<SpanData>> eldest) {
      return size() > TRACES_KEPT;
    }
  };

  /** Keeps spans for {@link #summary}; with {@code printLocalRoots}, also prints a line per local root. */
  public SpanSummaries(@Nullable Consumer<String> printLocalRoots) {
    this.printLocalRoots = printLocalRoots;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    for (SpanData span : spans) {
      List<SpanData> trace;
      synchronized (byTrace) {
        trace = byTrace.computeIfAbsent(span.getTraceId(), id -> new ArrayList<>());
        trace.add(span);
      }
      boolean localRoot = !span.getParentSpanContext().isValid() || span.getParentSpanContext().isRemote();
      if (printLocalRoots != null && localRoot) {
        printLocalRoots.accept(summary(span.getTraceId()));
      }
    }
    return CompletableResultCode.ofSuccess();
  }

  /** One line for the spans of {@code traceId} seen so far, grouped by service in the order they started. */
  public String summary(String traceId) {
    List<SpanData> spans;
    synchronized (byTrace) {
      spans = new ArrayList<>(byTrace.getOrDefault(traceId, List.of()));
    }
    if (spans.isEmpty()) {
      return "trace " + (traceId.isEmpty() ? "(none)" : traceId) + ": no spans";
    }
    spans.sort((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos()));
    Map<String, List<String>> byService = new LinkedHashMap<>();
    for (SpanData span : spans) {
      String service = span.getResource().getAttribute(SERVICE_NAME);
      String outcome = span.getAttributes().get(OUTCOME);
      byService.computeIfAbsent(service == null ? "?" : service.replaceFirst("^reqctx-samples-", ""), s -> new ArrayList<>())
          .add(span.getKind() + " " + (outcome == null ? span.getStatus().getStatusCode().name().toLowerCase(Locale.ROOT) : outcome)
              + " " + TimeUnit.NANOSECONDS.toMillis(span.getEndEpochNanos() - span.getStartEpochNanos()) + "ms");
    }
    return "trace " + traceId + ": " + spans.size() + " spans: " + byService.entrySet().stream()
        .map(e -> e.getKey() + "[" + String.join(", ", e.getValue()) + "]")
        .collect(Collectors.joining(" "));
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
