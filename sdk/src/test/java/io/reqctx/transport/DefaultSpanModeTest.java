package io.reqctx.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DefaultSpanModeTest {

  @Test
  void withoutTheAgentReqctxCreatesItsOwnSpans() {
    assertThat(DefaultSpanMode.of(false, Map.<String, String>of()::get)).isEqualTo(SpanMode.CREATE);
  }

  @Test
  void underTheAgentWithItsGrpcAndArmeriaInstrumentationReqctxEnrichesTheAgentsSpans() {
    assertThat(DefaultSpanMode.of(true, Map.<String, String>of()::get)).isEqualTo(SpanMode.ENRICH);
    assertThat(DefaultSpanMode.of(true, Map.of("otel.instrumentation.common.default-enabled", "false",
        "otel.instrumentation.grpc.enabled", "true", "otel.instrumentation.armeria.enabled", "true")::get))
        .isEqualTo(SpanMode.ENRICH);
  }

  @Test
  void underTheAgentWithoutOneOfThoseInstrumentationsReqctxCreatesItsOwnSpans() {
    assertThat(DefaultSpanMode.of(true, Map.of("otel.javaagent.enabled", "false")::get)).isEqualTo(SpanMode.CREATE);
    assertThat(DefaultSpanMode.of(true, Map.of("otel.instrumentation.grpc.enabled", "false")::get))
        .isEqualTo(SpanMode.CREATE);
    assertThat(DefaultSpanMode.of(true, Map.of("otel.instrumentation.armeria.enabled", " false ")::get))
        .isEqualTo(SpanMode.CREATE);
    assertThat(DefaultSpanMode.of(true, Map.of("otel.instrumentation.common.default-enabled", "false")::get))
        .isEqualTo(SpanMode.CREATE);
  }

  @Test
  void thisTestJvmRunsWithoutTheAgentSoConfigsCreateSpans() {
    assertThat(DefaultSpanMode.get()).isEqualTo(SpanMode.CREATE);
  }
}
