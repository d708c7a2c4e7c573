package io.reqctx.resilience4j;

import static io.reqctx.internal.telemetry.TelemetryAttributes.ATTEMPT;
import static io.reqctx.internal.telemetry.TelemetryAttributes.CAUSE;
import static io.reqctx.internal.telemetry.TelemetryAttributes.DOWNSTREAM;
import static io.reqctx.internal.telemetry.TelemetryAttributes.HEDGE_DELAY_MS;
import static io.reqctx.internal.telemetry.TelemetryAttributes.OUTBOUND_BUDGET_MS;
import static io.reqctx.internal.telemetry.TelemetryAttributes.REASON;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.reqctx.internal.telemetry.ConfiguredOpenTelemetry;
import java.time.Duration;
import java.util.Locale;

/**
 * What a guard's hedging shows: counters through the OpenTelemetry metrics API (meter {@code
 * io.reqctx}) and events on the span that was current when the call started. Names are listed in
 * docs/OBSERVABILITY.md. The OpenTelemetry is resolved at use (the guard's, else the global one).
 */
final class HedgeTelemetry {
  private final ConfiguredOpenTelemetry openTelemetry;
  private final Attributes downstream;
  private volatile Instruments instruments;

  HedgeTelemetry(ConfiguredOpenTelemetry openTelemetry, String downstream) {
    this.openTelemetry = openTelemetry;
    this.downstream = Attributes.of(DOWNSTREAM, downstream);
    this.instruments = new Instruments(OpenTelemetry.noop());
  }

  /** Hedge {@code attempt} was sent {@code delayNanos} after the previous attempt, with {@code budget}. */
  void sent(Span caller, int attempt, long delayNanos, Duration budget) {
    instruments().sent.add(1, downstream);
    caller.addEvent("reqctx.hedge.sent", downstream.toBuilder().put(ATTEMPT, (long) attempt)
        .put(HEDGE_DELAY_MS, delayNanos / 1e6).put(OUTBOUND_BUDGET_MS, budget.toMillis()).build());
  }

  /** Hedge {@code attempt} (2 or later) gave the call its answer. */
  void won(Span caller, int attempt) {
    instruments().won.add(1, downstream);
    caller.addEvent("reqctx.hedge.won", downstream.toBuilder().put(ATTEMPT, (long) attempt).build());
  }

  /** Attempt {@code attempt} was cancelled because the call had its answer. */
  void cancelled(Span caller, int attempt) {
    instruments().cancelled.add(1, downstream);
    caller.addEvent("reqctx.hedge.cancelled", downstream.toBuilder().put(ATTEMPT, (long) attempt).build());
  }

  /** A hedge was due but not sent, for {@code stop}'s reason; no more are sent for this call. */
  void notSent(Span caller, RetryStoppedException stop) {
    String reason = stop.reason().name().toLowerCase(Locale.ROOT);
    instruments().notSent.add(1, downstream.toBuilder().put(REASON, reason).build());
    caller.addEvent("reqctx.hedge.not_sent", downstream.toBuilder().put(REASON, reason)
        .put(CAUSE, stop.getMessage()).build());
  }

  private Instruments instruments() {
    OpenTelemetry resolved = openTelemetry.resolve();
    Instruments current = instruments;
    if (current.source != resolved) {
      current = new Instruments(resolved);
      instruments = current;
    }
    return current;
  }

  private static final class Instruments {
    final OpenTelemetry source;
    final LongCounter sent;
    final LongCounter won;
    final LongCounter cancelled;
    final LongCounter notSent;

    Instruments(OpenTelemetry source) {
      this.source = source;
      Meter meter = source.getMeter("io.reqctx");
      sent = meter.counterBuilder("reqctx.hedges.sent").setUnit("{attempt}")
          .setDescription("Hedged attempts sent after the hedging delay (the first attempt not counted)").build();
      won = meter.counterBuilder("reqctx.hedges.won").setUnit("{attempt}")
          .setDescription("Hedged attempts that gave their call its answer").build();
      cancelled = meter.counterBuilder("reqctx.hedges.cancelled").setUnit("{attempt}")
          .setDescription("Attempts of hedged calls cancelled because another attempt answered first").build();
      notSent = meter.counterBuilder("reqctx.hedges.not_sent").setUnit("{attempt}")
          .setDescription("Hedges that were due but not sent: no budget, no retry token, breaker or bulkhead")
          .build();
    }
  }
}
