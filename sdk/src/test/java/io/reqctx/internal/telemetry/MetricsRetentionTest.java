package io.reqctx.internal.telemetry;

import static io.reqctx.Reachability.awaitCollected;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.reqctx.Tier;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.transport.InboundCall;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Recording metrics keeps no OpenTelemetry reachable once the config that used it is gone. */
@ExtendWith(StrictLeakExtension.class)
class MetricsRetentionTest {
  private static final HeaderReader NO_HEADERS = new HeaderReader() {
    @Override
    public List<String> all(String name) {
      return List.of();
    }
  };

  @Test
  void droppedOpenTelemetrySdksAndTheirMeterProvidersAreCollected() {
    List<WeakReference<Object>> dropped = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      dropped.addAll(useAndDropAnSdk());
    }

    for (WeakReference<Object> ref : dropped) {
      awaitCollected(ref, "a dropped OpenTelemetry SDK");
    }
  }

  private static List<WeakReference<Object>> useAndDropAnSdk() {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    SdkMeterProvider meterProvider = SdkMeterProvider.builder().registerMetricReader(reader).build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setMeterProvider(meterProvider).build();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(sdk).build();
    try (InboundCall call = InboundCall.open(config, NO_HEADERS, "svc/Get", Duration.ofMillis(500))) {
      assertThat(call.rejection()).isNull();
    }
    assertThat(reader.collectAllMetrics()).isNotEmpty(); // it did record
    sdk.close();
    return List.of(new WeakReference<>(sdk), new WeakReference<>(meterProvider), new WeakReference<>(reader));
  }
}
