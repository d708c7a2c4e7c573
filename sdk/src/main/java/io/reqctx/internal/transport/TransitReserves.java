package io.reqctx.internal.transport;

import io.reqctx.internal.stats.DecayingHistogram;
import io.reqctx.transport.ClientConfig;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * The transit cost each callee of one {@link ClientConfig} was observed to have — the caller's elapsed
 * time of a call minus the elapsed time the callee reported ({@code reqctx-elapsed-us}) — as a decaying
 * histogram per callee name, for {@link io.reqctx.BudgetPolicy#reserveFor(Duration, Duration)}. Held
 * weakly per configuration: it goes when the configuration does. Thread-safe.
 */
final class TransitReserves {
  /** The percentile of transit that is reserved. */
  static final double PERCENTILE = 0.99;
  /** How fast old observations fade. */
  static final Duration HALF_LIFE = Duration.ofSeconds(30);
  /** Observations needed before the percentile is used; until then the fixed reserve applies. */
  static final int MINIMUM_SAMPLES = 20;

  private static final Map<ClientConfig, TransitReserves> BY_CONFIG = Collections.synchronizedMap(new WeakHashMap<>());

  private final ConcurrentMap<String, DecayingHistogram> byCallee = new ConcurrentHashMap<>();

  static TransitReserves of(ClientConfig config) {
    return BY_CONFIG.computeIfAbsent(config, c -> new TransitReserves());
  }

  /** The high percentile of {@code callee}'s recent transit, or null while too few calls are known. */
  @Nullable Duration estimate(String callee, long nowNanos) {
    DecayingHistogram transit = byCallee.get(callee);
    if (transit == null) {
      return null;
    }
    long nanos = transit.percentileNanos(PERCENTILE, MINIMUM_SAMPLES, nowNanos);
    return nanos < 0 ? null : Duration.ofNanos(nanos);
  }

  /** A call to {@code callee} spent {@code transitNanos} in transit (negative counts as 0). */
  void record(String callee, long transitNanos, long nowNanos) {
    byCallee.computeIfAbsent(callee, c -> new DecayingHistogram(HALF_LIFE)).record(transitNanos, nowNanos);
  }
}
