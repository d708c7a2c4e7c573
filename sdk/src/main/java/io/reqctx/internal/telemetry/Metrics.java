package io.reqctx.internal.telemetry;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.reqctx.OutboundBudget;
import io.reqctx.CtxKey;
import io.reqctx.LeakReport;
import io.reqctx.Outcome;
import io.reqctx.RequestCtx;
import io.reqctx.CtxObserver;
import io.reqctx.Tier;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every reqctx metric, through the OpenTelemetry metrics API (meter {@code io.reqctx}):
 *
 * <table>
 *   <caption>Instruments</caption>
 *   <tr><th>name</th><th>kind, unit</th><th>attributes</th><th>recorded by</th></tr>
 *   <tr><td>{@code reqctx.budget.at_arrival}</td><td>histogram, ms</td><td>tier</td><td>transports, per inbound call</td></tr>
 *   <tr><td>{@code reqctx.propagation.depth}</td><td>histogram, {hop}</td><td>tier</td><td>transports, per inbound call</td></tr>
 *   <tr><td>{@code reqctx.deadline_exceeded}</td><td>counter</td><td>tier, side (server, client)</td><td>transports</td></tr>
 *   <tr><td>{@code reqctx.rejections}</td><td>counter</td><td>tier, callee.tier, reason (budget_exhausted, tier_violation)</td><td>client transports, per call refused before it was sent</td></tr>
 *   <tr><td>{@code reqctx.tier_violations}</td><td>counter</td><td>tier, callee.tier</td><td>client transports</td></tr>
 *   <tr><td>{@code reqctx.cancellations}</td><td>counter</td><td>tier, reason (deadline, cancelled, error)</td><td>scope observer</td></tr>
 *   <tr><td>{@code reqctx.work_after_cancel}</td><td>histogram, ms</td><td>tier</td><td>scope observer: time a scope stayed open after it was cancelled</td></tr>
 *   <tr><td>{@code reqctx.leaks}</td><td>counter</td><td>kind</td><td>scope observer</td></tr>
 *   <tr><td>{@code reqctx.dropped_values}</td><td>counter</td><td>key</td><td>scope observer: undecodable or oversized inbound values</td></tr>
 * </table>
 *
 * <p>Transports record their metrics on the instance for their configured {@code OpenTelemetry}. The
 * scope-level metrics need one {@link #install} at start-up, since scopes are not tied to a transport.
 *
 * <pre>{@code
 * OpenTelemetry otel = ...;
 * CtxObserver.Registration metrics = Metrics.install(otel);   // once, at start-up
 * Metrics.of(otel).recordArrival(Tier.SERVICE, Duration.ofMillis(870), 2);
 * }</pre>
 */
public final class Metrics implements CtxObserver {
  /** The tier of the hop that records. */
  public static final AttributeKey<String> TIER = AttributeKey.stringKey("reqctx.tier");
  /** The tier of the callee of an outgoing call. */
  public static final AttributeKey<String> CALLEE_TIER = AttributeKey.stringKey("reqctx.callee.tier");
  /** {@code server} or {@code client}. */
  public static final AttributeKey<String> SIDE = AttributeKey.stringKey("reqctx.side");
  /** Why a call was refused, or what cancelled a scope. */
  public static final AttributeKey<String> REASON = AttributeKey.stringKey("reqctx.reason");
  /** A leak kind. */
  public static final AttributeKey<String> KIND = AttributeKey.stringKey("reqctx.leak.kind");
  /** A propagated key's name. */
  public static final AttributeKey<String> KEY = AttributeKey.stringKey("reqctx.key");

  private static final Map<OpenTelemetry, Metrics> BY_OTEL = new ConcurrentHashMap<>();
  private static final List<Double> MS_BUCKETS =
      List.of(1d, 5d, 10d, 25d, 50d, 100d, 250d, 500d, 800d, 1000d, 2000d, 3000d, 5000d);

  private final Map<Tier, Attributes> tierAttributes = new ConcurrentHashMap<>();
  private final DoubleHistogram budgetAtArrival;
  private final LongHistogram depth;
  private final LongCounter deadlineExceeded;
  private final LongCounter rejections;
  private final LongCounter tierViolations;
  private final LongCounter cancellations;
  private final DoubleHistogram workAfterCancel;
  private final LongCounter leaks;
  private final LongCounter droppedValues;

  private Metrics(Meter meter) {
    budgetAtArrival = meter.histogramBuilder("reqctx.budget.at_arrival").setUnit("ms")
        .setDescription("Budget a hop received, after its own caps").setExplicitBucketBoundariesAdvice(MS_BUCKETS).build();
    depth = meter.histogramBuilder("reqctx.propagation.depth").ofLongs().setUnit("{hop}")
        .setDescription("Hops a request made before arriving here").build();
    deadlineExceeded = meter.counterBuilder("reqctx.deadline_exceeded")
        .setDescription("Calls that ended because their deadline passed").build();
    rejections = meter.counterBuilder("reqctx.rejections")
        .setDescription("Outgoing calls refused before being sent").build();
    tierViolations = meter.counterBuilder("reqctx.tier_violations")
        .setDescription("Outgoing calls up the tier order").build();
    cancellations = meter.counterBuilder("reqctx.cancellations")
        .setDescription("Scopes cancelled before they closed").build();
    workAfterCancel = meter.histogramBuilder("reqctx.work_after_cancel").setUnit("ms")
        .setDescription("Time a scope stayed open after it was cancelled").setExplicitBucketBoundariesAdvice(MS_BUCKETS).build();
    leaks = meter.counterBuilder("reqctx.leaks").setDescription("Leaked scopes, attaches and tasks").build();
    droppedValues = meter.counterBuilder("reqctx.dropped_values")
        .setDescription("Inbound typed values dropped as undecodable or oversized").build();
  }

  /** The metrics recorded through {@code openTelemetry} (one instance per OpenTelemetry). */
  public static Metrics of(OpenTelemetry openTelemetry) {
    requireNonNull(openTelemetry, "openTelemetry");
    return BY_OTEL.computeIfAbsent(openTelemetry, otel -> new Metrics(otel.getMeter("io.reqctx")));
  }

  /** Records the scope-level metrics through {@code openTelemetry} until the registration is closed. */
  public static CtxObserver.Registration install(OpenTelemetry openTelemetry) {
    return CtxObserver.register(of(openTelemetry));
  }

  /** An inbound call arrived with {@code budget} after the hop's own rules, {@code hops} hops from its origin. */
  public void recordArrival(Tier tier, Duration budget, int hops) {
    Attributes attributes = tierAttributes.computeIfAbsent(tier, t -> Attributes.of(TIER, t.name()));
    budgetAtArrival.record(budget.toNanos() / 1e6, attributes);
    depth.record(hops, attributes);
  }

  /** Which end of a call recorded a deadline. */
  public enum Side {
    /** The hop that received the call. */
    SERVER,
    /** The hop that made the call. */
    CLIENT
  }

  /** A call ended because its deadline passed. */
  public void recordDeadlineExceeded(Tier tier, Side side) {
    deadlineExceeded.add(1, Attributes.of(TIER, tier.name(), SIDE, side.name().toLowerCase(Locale.ROOT)));
  }

  /** A call from a hop of {@code tier} was refused before being sent, as {@code verdict} says. */
  public void recordRejection(Tier tier, OutboundBudget.FailFast verdict) {
    rejections.add(1, Attributes.of(TIER, tier.name(), CALLEE_TIER, verdict.callee().tier().name(),
        REASON, verdict.reason().name().toLowerCase(Locale.ROOT)));
  }

  /** A call from a hop of {@code tier} went up the tier order to {@code callee}. */
  public void recordTierViolation(Tier tier, Tier callee) {
    tierViolations.add(1, Attributes.of(TIER, tier.name(), CALLEE_TIER, callee.name()));
  }

  @Override
  public void onCancel(RequestCtx ctx, Throwable cause) {
    cancellations.add(1, Attributes.of(TIER, ctx.tier().name(), REASON, cancellationReason(cause)));
  }

  /**
   * The {@code reqctx.reason} of a cancellation: {@code deadline}, {@code cancelled} (the caller left,
   * an owner or parent cancelled) or {@code error} (the request failed), as {@link
   * Outcome#ofCancellation} classifies the cause. Transports translate what their library reports
   * (a reset stream, a grpc-java or Armeria deadline, a handler's exception) into those causes.
   */
  static String cancellationReason(Throwable cause) {
    return switch (Outcome.ofCancellation(cause)) {
      case DEADLINE_EXCEEDED -> "deadline";
      case CANCELLED -> "cancelled";
      default -> "error";
    };
  }

  @Override
  public void onClose(CtxEnd end) {
    if (end.outcome() != Outcome.OK) {
      workAfterCancel.record(end.workAfterCancel().toNanos() / 1e6, Attributes.of(TIER, end.ctx().tier().name()));
    }
  }

  @Override
  public void onLeak(LeakReport leak) {
    leaks.add(1, Attributes.of(KIND, leak.kind().name().toLowerCase(Locale.ROOT)));
  }

  @Override
  public void onDroppedValue(CtxKey<?> key, String reason) {
    droppedValues.add(1, Attributes.of(KEY, key.name()));
  }
}
