package io.reqctx.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.reqctx.BudgetPolicy;
import io.reqctx.CancellableCtx;
import io.reqctx.Outcome;
import io.reqctx.Tier;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The adaptive reserve end to end in the kernel, on a fake ticker: a callee reports its elapsed time,
 * the caller learns the transit cost per callee and reserves it, within the policy's bounds.
 */
@ExtendWith(StrictLeakExtension.class)
class AdaptiveReserveTest {
  static final BudgetPolicy ADAPTIVE = BudgetPolicy.builder()
      .adaptiveReserve(Duration.ofMillis(1), Duration.ofMillis(20)).build();

  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
      .build();
  final FakeTicker ticker = new FakeTicker();

  @MustBeClosed
  CancellableCtx request(Duration budget) {
    return CancellableCtx.newRoot(Tier.GATEWAY).ticker(ticker).budget(budget).requestId("req-1").open();
  }

  ClientConfig client(BudgetPolicy policy) {
    return ClientConfig.builder(Tier.SERVICE).trusted(true).policy(policy).openTelemetry(otel).build();
  }

  static HeaderReader elapsed(String value) {
    Map<String, List<String>> headers = new HashMap<>();
    headers.put("reqctx-elapsed-us", List.of(value));
    return name -> headers.getOrDefault(name, List.of());
  }

  /** {@code n} calls of which each takes {@code callerMillis} at the caller, {@code calleeMicros} at the callee. */
  void observe(ClientConfig config, int n, long callerMillis, String calleeMicros) {
    for (int i = 0; i < n; i++) {
      try (CancellableCtx request = request(Duration.ofSeconds(1))) {
        OutboundCall call = OutboundCall.prepare(config, Context.root().with(request.ctx()), "svc/Get");
        call.writeHeaders(OutboundCallTest.writer(new HashMap<>()));
        ticker.advance(Duration.ofMillis(callerMillis));
        call.received(elapsed(calleeMicros));
        call.end(Outcome.OK);
      }
    }
  }

  Duration budgetOfNextCall(ClientConfig config) {
    try (CancellableCtx request = request(Duration.ofMillis(500))) {
      OutboundCall call = OutboundCall.prepare(config, Context.root().with(request.ctx()), "svc/Get");
      call.start();
      call.end(Outcome.OK);
      return call.budget().orElseThrow();
    }
  }

  @Test
  void theObservedTransitOfACalleeBecomesItsReserve() {
    ClientConfig config = client(ADAPTIVE);
    assertThat(budgetOfNextCall(config)).as("fixed until known: 500 - (5 + 2 %% of 500)").isEqualTo(Duration.ofMillis(485));

    observe(config, 20, 4, "1000"); // 4 ms at the caller, 1 ms of it at the callee: 3 ms transit

    Duration budget = budgetOfNextCall(config);
    // The percentile is the upper edge of its bucket: at most 12.5 % above 3 ms, never below it.
    assertThat(budget).isBetween(Duration.ofMillis(500).minus(Duration.ofMillis(3).multipliedBy(1125).dividedBy(1000)),
        Duration.ofMillis(497));
    SpanData last = spans.getFinishedSpanItems().get(spans.getFinishedSpanItems().size() - 1);
    assertThat(last.getAttributes().get(AttributeKey.stringKey("reqctx.reserve.source"))).isEqualTo("adaptive");
    assertThat(last.getAttributes().get(AttributeKey.doubleKey("reqctx.reserve_ms"))).isBetween(3.0, 3.375);
    assertThat(spans.getFinishedSpanItems().get(0).getAttributes().get(AttributeKey.stringKey("reqctx.reserve.source")))
        .isEqualTo("fixed");
    assertThat(reserveCounts()).containsEntry("adaptive", 1L).containsEntry("fixed", 21L);
  }

  @Test
  void aTransitBeyondTheBoundsIsReservedAtTheBound() {
    ClientConfig slow = client(ADAPTIVE);
    observe(slow, 20, 100, "0"); // 100 ms transit
    assertThat(budgetOfNextCall(slow)).isEqualTo(Duration.ofMillis(480)); // max 20 ms

    ClientConfig fast = client(ADAPTIVE);
    observe(fast, 20, 1, "999"); // 1 µs transit
    assertThat(budgetOfNextCall(fast)).isEqualTo(Duration.ofMillis(499)); // min 1 ms
  }

  @Test
  void fewerThanTwentyObservationsLeaveTheReserveFixed() {
    ClientConfig config = client(ADAPTIVE);
    observe(config, 19, 4, "1000");
    assertThat(budgetOfNextCall(config)).isEqualTo(Duration.ofMillis(485));
  }

  @Test
  void aCalleeThatDoesNotReportItsElapsedTimeOrReportsGarbageKeepsTheFixedReserve() {
    ClientConfig config = client(ADAPTIVE);
    observe(config, 20, 4, "1.0ms");
    observe(config, 20, 4, "");
    assertThat(budgetOfNextCall(config)).isEqualTo(Duration.ofMillis(485));
  }

  @Test
  void withAFixedReserveObservationsChangeNothing() {
    ClientConfig config = client(BudgetPolicy.defaults());
    observe(config, 30, 4, "1000");
    assertThat(budgetOfNextCall(config)).isEqualTo(Duration.ofMillis(485));
  }

  @Test
  void eachConfigurationLearnsItsOwnCallees() {
    ClientConfig learned = client(ADAPTIVE);
    observe(learned, 20, 100, "0");
    assertThat(budgetOfNextCall(learned)).isEqualTo(Duration.ofMillis(480));
    assertThat(budgetOfNextCall(client(ADAPTIVE))).isEqualTo(Duration.ofMillis(485));
  }

  @Test
  void aTrustedServerReportsItsElapsedTimeAndAnEdgeServerDoesNot() {
    Map<String, String> trusted = new HashMap<>();
    Map<String, String> edge = new HashMap<>();
    for (Trust trust : Trust.values()) {
      ServerConfig config = ServerConfig.builder(Tier.SERVICE, trust).ticker(ticker)
          .openTelemetry(OpenTelemetry.noop()).build();
      try (InboundCall call = InboundCall.open(config, elapsed("ignored"), "svc/Get", Duration.ofSeconds(1))) {
        ticker.advance(Duration.ofNanos(1_834_999));
        call.writeElapsed(OutboundCallTest.writer(trust == Trust.TRUSTED ? trusted : edge));
      }
    }
    assertThat(trusted).containsExactly(Map.entry("reqctx-elapsed-us", "1834"));
    assertThat(edge).isEmpty();
  }

  /** Count of reqctx.reserve recordings by source. */
  Map<String, Long> reserveCounts() {
    Map<String, Long> counts = new HashMap<>();
    for (MetricData metric : metrics.collectAllMetrics()) {
      if (metric.getName().equals("reqctx.reserve")) {
        for (HistogramPointData point : metric.getHistogramData().getPoints()) {
          assertThat(point.getAttributes().get(AttributeKey.stringKey("reqctx.callee"))).isNotBlank();
          counts.merge(point.getAttributes().get(AttributeKey.stringKey("reqctx.reserve.source")), point.getCount(),
              Long::sum);
        }
      }
    }
    return counts;
  }
}
