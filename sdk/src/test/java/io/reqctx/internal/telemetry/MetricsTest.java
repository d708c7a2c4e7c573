package io.reqctx.internal.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.reqctx.BudgetPolicy;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.testing.ContextHygieneExtension;
import io.reqctx.testing.FakeTicker;
import io.reqctx.transport.ClientConfig;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.transport.InboundCall;
import io.reqctx.internal.transport.OutboundCall;
import io.reqctx.Outcome;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every instrument, read back through the OpenTelemetry SDK's in-memory reader. Leaks on purpose, so not strict. */
@ExtendWith(ContextHygieneExtension.class)
class MetricsTest {
  private static final CtxKey<Long> QUOTA = CtxKey.propagated("quota-metric", KeyCodec.int64()).build();

  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build()).build();
  private final FakeTicker ticker = new FakeTicker();

  @AfterEach
  void shutDown() {
    otel.close();
  }

  private static HeaderReader headers(Map<String, String> values) {
    return new HeaderReader() {
      @Override
      public List<String> all(String name) {
        String v = values.get(name);
        return v == null ? List.of() : List.of(v);
      }
    };
  }

  @Test
  void inboundCallsRecordBudgetAtArrivalDepthDeadlinesTierViolationsAndDroppedValues() {
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(otel).ticker(ticker)
        .acceptedKeys(QUOTA).build();
    try (InboundCall call = InboundCall.open(config,
        headers(Map.of("reqctx-hop", "2", "reqctx-tier", "cache", "reqctx-key-quota-metric", "lots")),
        "svc/Method", Duration.ofMillis(700))) {
      ticker.advance(Duration.ofMillis(700));
      call.close(Outcome.DEADLINE_EXCEEDED);
    }

    Collection<MetricData> metrics = reader.collectAllMetrics();
    assertThat(histogramSum(metrics, "reqctx.budget.at_arrival", Attributes.of(TelemetryAttributes.TIER, "service")))
        .isEqualTo(700.0);
    assertThat(histogramSum(metrics, "reqctx.propagation.depth", Attributes.of(TelemetryAttributes.TIER, "service")))
        .isEqualTo(2.0);
    assertThat(counter(metrics, "reqctx.deadline_exceeded",
        Attributes.of(TelemetryAttributes.TIER, "service", TelemetryAttributes.SIDE, "server"))).isEqualTo(1);
    assertThat(counter(metrics, "reqctx.tier_violations",
        Attributes.of(TelemetryAttributes.TIER, "cache", TelemetryAttributes.CALLEE_TIER, "service"))).isEqualTo(1);
    assertThat(counter(metrics, "reqctx.dropped_values", Attributes.of(TelemetryAttributes.KEY, "quota-metric"))).isEqualTo(1);
    assertThat(counter(metrics, "reqctx.cancellations",
        Attributes.of(TelemetryAttributes.TIER, "service", TelemetryAttributes.REASON, "deadline"))).isEqualTo(1);
  }

  @Test
  void refusedOutboundCallsAreCountedAsRejections() {
    ClientConfig config = ClientConfig.builder(Tier.CACHE).openTelemetry(otel)
        .policy(BudgetPolicy.builder().minimumViableBudget(Duration.ofMillis(50)).build()).build();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).ticker(ticker).budget(Duration.ofMillis(40)).open()) {
      OutboundCall call = OutboundCall.prepare(config, Context.root().with(scope.ctx()), "cache/Get");
      assertThat(call.rejection()).isNotNull();
      call.start();
    }
    assertThat(counter(reader.collectAllMetrics(), "reqctx.rejections", Attributes.of(
        TelemetryAttributes.TIER, "service", TelemetryAttributes.CALLEE_TIER, "cache", TelemetryAttributes.REASON, "budget_exhausted")))
        .isEqualTo(1);
  }

  @Test
  void aTransportsCancelledScopeRecordsTheWorkDoneAfterTheCancelWithoutAnyInstallStep() {
    ServerConfig config = ServerConfig.builder(Tier.CACHE, Trust.TRUSTED).openTelemetry(otel).ticker(ticker).build();
    try (InboundCall call = InboundCall.open(config, headers(Map.of()), "cache/Get", Duration.ofSeconds(1))) {
      call.cancel(new CancellationException("caller left"));
      ticker.advance(Duration.ofMillis(120)); // the handler ignores the cancel for 120 ms
    }
    Collection<MetricData> metrics = reader.collectAllMetrics();
    assertThat(histogramSum(metrics, "reqctx.work_after_cancel", Attributes.of(TelemetryAttributes.TIER, "cache")))
        .isEqualTo(120.0);
    assertThat(counter(metrics, "reqctx.cancellations",
        Attributes.of(TelemetryAttributes.TIER, "cache", TelemetryAttributes.REASON, "cancelled"))).isEqualTo(1);
  }

  @Test
  void childScopesOfATransportsScopeRecordThroughTheSameOpenTelemetry() {
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(otel).ticker(ticker).build();
    try (InboundCall call = InboundCall.open(config, headers(Map.of()), "svc/Get", Duration.ofSeconds(1));
        CancellableCtx cacheWork = CancellableCtx.childOf(call.ctx(), Tier.CACHE)) {
      cacheWork.cancel(new CancellationException("cache call abandoned"));
    }
    assertThat(counter(reader.collectAllMetrics(), "reqctx.cancellations",
        Attributes.of(TelemetryAttributes.TIER, "cache", TelemetryAttributes.REASON, "cancelled"))).isEqualTo(1);
  }

  @Test
  void cancellationsAreCountedByWhatTheCauseStandsFor() {
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(otel).ticker(ticker).build();
    try (InboundCall left = InboundCall.open(config, headers(Map.of()), "svc/Left", Duration.ofSeconds(1))) {
      left.callerLeft();
    }
    try (InboundCall late = InboundCall.open(config, headers(Map.of()), "svc/Late", Duration.ofSeconds(1))) {
      ticker.advance(Duration.ofMillis(980));
      late.callerLeft(); // with 20 ms left: the caller's own deadline sent it away
    }
    try (InboundCall timedOut = InboundCall.open(config, headers(Map.of()), "svc/TimedOut", null)) {
      timedOut.transportDeadlinePassed();
    }
    try (InboundCall failed = InboundCall.open(config, headers(Map.of()), "svc/Failed", null)) {
      failed.cancel(new IllegalStateException("handler bug"));
    }
    try (InboundCall errorStatus = InboundCall.open(config, headers(Map.of()), "svc/Status", null)) {
      errorStatus.close(io.reqctx.Outcome.ERROR);
    }
    Collection<MetricData> metrics = reader.collectAllMetrics();
    assertThat(counter(metrics, "reqctx.cancellations", Attributes.of(TelemetryAttributes.TIER, "service", TelemetryAttributes.REASON, "cancelled")))
        .isEqualTo(1);
    assertThat(counter(metrics, "reqctx.cancellations", Attributes.of(TelemetryAttributes.TIER, "service", TelemetryAttributes.REASON, "deadline")))
        .isEqualTo(2);
    assertThat(counter(metrics, "reqctx.cancellations", Attributes.of(TelemetryAttributes.TIER, "service", TelemetryAttributes.REASON, "error")))
        .isEqualTo(2);
  }

  @Test
  void aTimeoutFromAnotherLibraryCountsAsADeadline() {
    ServerConfig config = ServerConfig.builder(Tier.CACHE, Trust.TRUSTED).openTelemetry(otel).ticker(ticker).build();
    try (InboundCall call = InboundCall.open(config, headers(Map.of()), "cache/Get", null)) {
      call.cancel(new java.util.concurrent.TimeoutException("context timed out"));
    }
    assertThat(counter(reader.collectAllMetrics(), "reqctx.cancellations",
        Attributes.of(TelemetryAttributes.TIER, "cache", TelemetryAttributes.REASON, "deadline"))).isEqualTo(1);
  }

  @Test
  @SuppressWarnings("MustBeClosedChecker") // the leak under test
  void leaksInATransportsScopeTreeAreCountedByKind() {
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(otel).ticker(ticker).build();
    try (InboundCall call = InboundCall.open(config, headers(Map.of()), "svc/Get", Duration.ofSeconds(1))) {
      CancellableCtx.childOf(call.ctx(), Tier.CACHE); // never closed
    }
    assertThat(counter(reader.collectAllMetrics(), "reqctx.leaks",
        Attributes.of(TelemetryAttributes.LEAK_KIND, "child_open_at_parent_close"))).isEqualTo(1);
  }

  private static MetricData metric(Collection<MetricData> metrics, String name) {
    return metrics.stream().filter(m -> m.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name + " in " + metrics));
  }

  private static long counter(Collection<MetricData> metrics, String name, Attributes attributes) {
    return metric(metrics, name).getLongSumData().getPoints().stream()
        .filter(p -> p.getAttributes().equals(attributes)).mapToLong(p -> p.getValue()).sum();
  }

  private static double histogramSum(Collection<MetricData> metrics, String name, Attributes attributes) {
    MetricData data = metric(metrics, name);
    return switch (data.getType()) {
      case HISTOGRAM -> data.getHistogramData().getPoints().stream()
          .filter(p -> p.getAttributes().equals(attributes)).mapToDouble(p -> p.getSum()).sum();
      default -> throw new AssertionError(name + " is a " + data.getType());
    };
  }
}
