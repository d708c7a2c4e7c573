package io.reqctx.chaos;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.reqctx.internal.telemetry.ConfiguredOpenTelemetry;
import io.reqctx.internal.telemetry.TelemetryAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The metrics (meter {@code io.reqctx.chaos}) and span events of one {@link Chaos}, and the in-process
 * counts behind {@link Chaos#stats()}. docs/OBSERVABILITY.md lists the names.
 */
final class ChaosTelemetry {
  static final AttributeKey<String> FAULT = AttributeKey.stringKey("reqctx.chaos.fault");
  static final AttributeKey<String> SIDE = TelemetryAttributes.SIDE;
  static final AttributeKey<String> TARGET = AttributeKey.stringKey("reqctx.chaos.target");
  static final AttributeKey<String> RESULT = AttributeKey.stringKey("reqctx.chaos.result");
  static final AttributeKey<String> RETAINED = AttributeKey.stringKey("reqctx.chaos.retained");
  static final AttributeKey<Long> DELAY_MS = AttributeKey.longKey("reqctx.chaos.delay_ms");
  static final AttributeKey<Long> BUDGET_BEFORE_MS = AttributeKey.longKey("reqctx.chaos.budget.before_ms");
  static final AttributeKey<Long> BUDGET_AFTER_MS = AttributeKey.longKey("reqctx.chaos.budget.after_ms");

  /** Whether a picked fault took effect. */
  enum Result {
    /** It happened: the request was cancelled, delayed, skewed, or watched. */
    INJECTED,
    /** There was nothing to act on: the request had ended, or carried no budget to skew. */
    MISSED
  }

  private static final List<Double> MS_BUCKETS = List.of(1d, 5d, 10d, 25d, 50d, 100d, 250d, 500d, 1000d, 2500d, 5000d);

  private final ConfiguredOpenTelemetry otel;
  private volatile @Nullable Instruments instruments;
  private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final LongAdder valueLeaks = new LongAdder();

  ChaosTelemetry(@Nullable OpenTelemetry explicit) {
    this.otel = ConfiguredOpenTelemetry.of(explicit);
  }

  /** A fault picked for a request took effect or not; adds an event to {@code span} when it did. */
  void record(Decision decision, ChaosRule.Side side, Result result, @Nullable Span span, Attributes details) {
    count(decision, side, result, details);
    if (result == Result.INJECTED && span != null && span.getSpanContext().isValid()) {
      span.addEvent(eventName(decision), withTarget(decision, details));
    }
  }

  /** As {@link #record(Decision, ChaosRule.Side, Result, Span, Attributes)}, for a span that may not be known yet. */
  void record(Decision decision, ChaosRule.Side side, Result result, CallSpan span, Attributes details) {
    count(decision, side, result, details);
    if (result == Result.INJECTED) {
      span.event(eventName(decision), withTarget(decision, details));
    }
  }

  private void count(Decision decision, ChaosRule.Side side, Result result, Attributes details) {
    String fault = decision.rule().fault().name();
    String sideName = side.name().toLowerCase(Locale.ROOT);
    String resultName = result.name().toLowerCase(Locale.ROOT);
    counts.computeIfAbsent(fault + "/" + sideName + "/" + resultName, k -> new LongAdder()).increment();
    Instruments i = instruments();
    i.faults.add(1, Attributes.of(FAULT, fault, SIDE, sideName, TARGET, decision.rule().target(), RESULT, resultName));
    Long delay = details.get(DELAY_MS);
    if (result == Result.INJECTED && delay != null) {
      i.delays.record(delay, Attributes.of(FAULT, fault, SIDE, sideName));
    }
  }

  private static String eventName(Decision decision) {
    return "reqctx.chaos." + decision.rule().fault().name();
  }

  private static Attributes withTarget(Decision decision, Attributes details) {
    AttributesBuilder event = details.toBuilder().put(TARGET, decision.rule().target());
    return event.build();
  }

  /** A watched ctx or value was still reachable after its request ended. */
  void valueLeak(String retained) {
    valueLeaks.increment();
    instruments().valueLeaks.add(1, Attributes.of(RETAINED, retained));
  }

  /** How often {@code fault} ({@link Fault#name()}) took effect ({@code injected}) or not on {@code side}. */
  long count(String fault, ChaosRule.Side side, Result result) {
    LongAdder adder = counts.get(fault + "/" + side.name().toLowerCase(Locale.ROOT) + "/" + result.name().toLowerCase(Locale.ROOT));
    return adder == null ? 0 : adder.sum();
  }

  long valueLeaks() {
    return valueLeaks.sum();
  }

  static Attributes delay(Duration delay) {
    return Attributes.of(DELAY_MS, delay.toMillis());
  }

  static Attributes budgets(long beforeNanos, long afterNanos) {
    return Attributes.of(BUDGET_BEFORE_MS, beforeNanos / 1_000_000, BUDGET_AFTER_MS, afterNanos / 1_000_000);
  }

  private Instruments instruments() {
    // Resolved at use, never freezing the global OpenTelemetry: until the application sets it, no-op.
    OpenTelemetry resolved = otel.resolve();
    Instruments current = instruments;
    if (current == null || current.source != resolved) {
      current = new Instruments(resolved);
      instruments = current;
    }
    return current;
  }

  private static final class Instruments {
    final OpenTelemetry source;
    final LongCounter faults;
    final DoubleHistogram delays;
    final LongCounter valueLeaks;

    Instruments(OpenTelemetry source) {
      this.source = source;
      Meter meter = source.getMeter("io.reqctx.chaos");
      faults = meter.counterBuilder("reqctx.chaos.faults")
          .setDescription("Faults picked for requests by chaos rules, by whether they took effect").build();
      delays = meter.histogramBuilder("reqctx.chaos.delay").setUnit("ms")
          .setDescription("Injected delays: latency, and the wait before a cancel storm cancelled")
          .setExplicitBucketBoundariesAdvice(MS_BUCKETS).build();
      valueLeaks = meter.counterBuilder("reqctx.chaos.value_leaks")
          .setDescription("Watched ctxs and values still reachable after their request ended").build();
    }
  }
}
