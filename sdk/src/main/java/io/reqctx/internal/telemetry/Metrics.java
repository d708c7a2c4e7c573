package io.reqctx.internal.telemetry;

import static io.reqctx.internal.telemetry.TelemetryAttributes.CALLEE_TIER;
import static io.reqctx.internal.telemetry.TelemetryAttributes.KEY;
import static io.reqctx.internal.telemetry.TelemetryAttributes.LEAK_KIND;
import static io.reqctx.internal.telemetry.TelemetryAttributes.REASON;
import static io.reqctx.internal.telemetry.TelemetryAttributes.SIDE;
import static io.reqctx.internal.telemetry.TelemetryAttributes.TIER;
import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
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
 * Every reqctx metric, through the OpenTelemetry metrics API (meter {@code io.reqctx}); names, units and
 * attributes are listed in docs/OBSERVABILITY.md.
 *
 * <p>One instance per transport config, held by its {@link ConfiguredOpenTelemetry} and so by nothing
 * static: the transport kernel records the per-call metrics on it, and gives it to each inbound scope it
 * opens as that scope's observer ({@code CancellableCtx.Builder.observer}), so the scope-level metrics
 * (cancellations, work after cancel, leaks) of transports' scopes and their children need no install
 * step.
 *
 * <pre>{@code
 * Metrics metrics = Metrics.of(serverConfig.openTelemetry());
 * metrics.recordArrival(Tier.SERVICE, Duration.ofMillis(870), 2);
 * }</pre>
 */
public final class Metrics implements CtxObserver {
  private static final List<Double> MS_BUCKETS =
      List.of(1d, 5d, 10d, 25d, 50d, 100d, 250d, 500d, 800d, 1000d, 2000d, 3000d, 5000d);

  private final OpenTelemetry source;
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
  private final DoubleHistogram reserve;
  private static final int MAX_CACHED_CALLEES = 256;
  private final Map<String, Attributes> fixedReserveAttributes = new ConcurrentHashMap<>();
  private final Map<String, Attributes> adaptiveReserveAttributes = new ConcurrentHashMap<>();

  private Metrics(OpenTelemetry source) {
    this.source = source;
    Meter meter = source.getMeter("io.reqctx");
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
    reserve = meter.histogramBuilder("reqctx.reserve").setUnit("ms")
        .setDescription("Time kept back from outgoing calls' budgets for transit, per callee")
        .setExplicitBucketBoundariesAdvice(MS_BUCKETS).build();
  }

  /**
   * The metrics recorded through {@code openTelemetry}: for a config's {@link ConfiguredOpenTelemetry}
   * the instance it holds; for any other, a new instance (its instruments are built on every call).
   */
  public static Metrics of(OpenTelemetry openTelemetry) {
    requireNonNull(openTelemetry, "openTelemetry");
    return openTelemetry instanceof ConfiguredOpenTelemetry configured ? configured.metrics() : create(openTelemetry);
  }

  static Metrics create(OpenTelemetry openTelemetry) {
    return new Metrics(openTelemetry);
  }

  /** The OpenTelemetry these metrics record through. */
  OpenTelemetry source() {
    return source;
  }

  /** An inbound call arrived with {@code budget} after the hop's own rules, {@code hops} hops from its origin. */
  public void recordArrival(Tier tier, Duration budget, int hops) {
    Attributes attributes = tierAttributes.computeIfAbsent(tier, t -> Attributes.of(TIER, t.name()));
    budgetAtArrival.record(budget.toNanos() / 1e6, attributes);
    depth.record(hops, attributes);
  }

  /**
   * An outgoing call to {@code callee} kept back {@code reserveNanos} of its caller's budget, learned
   * from the callee's observed transit ({@code adaptive}) or floor plus fraction.
   */
  public void recordReserve(String callee, long reserveNanos, boolean adaptive) {
    Map<String, Attributes> bySource = adaptive ? adaptiveReserveAttributes : fixedReserveAttributes;
    Attributes attributes = bySource.get(callee);
    if (attributes == null) {
      attributes = Attributes.of(TelemetryAttributes.CALLEE, callee,
          TelemetryAttributes.RESERVE_SOURCE, adaptive ? "adaptive" : "fixed");
      if (bySource.size() < MAX_CACHED_CALLEES) { // callee names come from client configurations: few
        bySource.putIfAbsent(callee, attributes);
      }
    }
    reserve.record(reserveNanos / 1e6, attributes);
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
    leaks.add(1, Attributes.of(LEAK_KIND, leak.kind().name().toLowerCase(Locale.ROOT)));
  }

  @Override
  public void onDroppedValue(CtxKey<?> key, String reason) {
    droppedValues.add(1, Attributes.of(KEY, key.name()));
  }
}
