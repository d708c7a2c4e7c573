package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.testing.StrictLeakExtension;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.MDC;

@ExtendWith(StrictLeakExtension.class)
class MdcTest {
  private static final SpanContext SPAN = SpanContext.create(
      "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());
  private static final ExecutorService pool = Executors.newSingleThreadExecutor();

  @AfterAll
  static void shutDown() {
    pool.shutdownNow();
  }

  @Test
  void attachPutsTheIdsIntoTheMdcAndRestoresThePreviousValues() {
    MDC.put("request_id", "outer");
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).requestId("req-42").open()) {
      try (Scope ignored = RequestCtx.attach(Context.current().with(Span.wrap(SPAN)).with(scope.ctx()))) {
        assertThat(MDC.get("trace_id")).isEqualTo(SPAN.getTraceId());
        assertThat(MDC.get("span_id")).isEqualTo(SPAN.getSpanId());
        assertThat(MDC.get("request_id")).isEqualTo("req-42");
      }
      assertThat(MDC.get("request_id")).isEqualTo("outer");
      assertThat(MDC.get("trace_id")).isNull();
    } finally {
      MDC.remove("request_id");
    }
  }

  @Test
  void withoutACurrentSpanTheIdsComeFromTheCtxsSpanContext() {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).spanContext(SPAN).requestId("req-7").open();
        Scope ignored = scope.makeCurrent()) {
      assertThat(MDC.get("trace_id")).isEqualTo(SPAN.getTraceId());
      assertThat(MDC.get("request_id")).isEqualTo("req-7");
    }
    assertThat(MDC.get("request_id")).isNull();
  }

  @Test
  void propagatedTasksCarryTheMdcAndLeaveThePoolThreadClean() throws Exception {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).spanContext(SPAN).requestId("req-9").open();
        Scope ignored = scope.makeCurrent()) {
      Map<String, String> inTask = CtxExecutors.supplyAsync(MDC::getCopyOfContextMap, pool).get(10, TimeUnit.SECONDS);
      assertThat(inTask).containsEntry("request_id", "req-9").containsEntry("trace_id", SPAN.getTraceId());
    }
    Map<String, String> after = pool.submit(MDC::getCopyOfContextMap).get(10, TimeUnit.SECONDS);
    assertThat(after == null ? Map.of() : after).doesNotContainKeys("request_id", "trace_id", "span_id");
  }
}
