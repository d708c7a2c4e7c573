package io.reqctx.internal.telemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * Not API: every attribute name reqctx puts on spans, span events and metrics, in one scheme: the
 * {@code reqctx.} prefix, then dot-separated namespaces, with {@code _} joining the words of one name
 * ({@code reqctx.callee.tier}, {@code reqctx.budget.inbound_ms}). docs/OBSERVABILITY.md lists where each
 * one appears.
 */
public final class TelemetryAttributes {
  private TelemetryAttributes() {}

  /** The tier of the hop that records (spans and metrics). */
  public static final AttributeKey<String> TIER = AttributeKey.stringKey("reqctx.tier");
  /** The tier a trusted caller sent (server spans). */
  public static final AttributeKey<String> CALLER_TIER = AttributeKey.stringKey("reqctx.caller.tier");
  /** The tier of the callee of an outgoing call (client spans, rejection and tier-violation metrics). */
  public static final AttributeKey<String> CALLEE_TIER = AttributeKey.stringKey("reqctx.callee.tier");
  /** The hop count of the request at this hop (spans). */
  public static final AttributeKey<Long> HOP = AttributeKey.longKey("reqctx.hop");
  /** The budget an inbound call was given, in milliseconds (server spans). */
  public static final AttributeKey<Long> INBOUND_BUDGET_MS = AttributeKey.longKey("reqctx.budget.inbound_ms");
  /** The budget an outgoing call was sent with, in milliseconds (client spans). */
  public static final AttributeKey<Long> OUTBOUND_BUDGET_MS = AttributeKey.longKey("reqctx.budget.outbound_ms");
  /** How a call ended (spans). */
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("reqctx.outcome");
  /** The first line of a cancellation cause (span events). */
  public static final AttributeKey<String> CAUSE = AttributeKey.stringKey("reqctx.cause");
  /** {@code server} or {@code client} (metrics). */
  public static final AttributeKey<String> SIDE = AttributeKey.stringKey("reqctx.side");
  /** Why a call was refused, or what cancelled a scope (metrics). */
  public static final AttributeKey<String> REASON = AttributeKey.stringKey("reqctx.reason");
  /** A leak kind (metrics). */
  public static final AttributeKey<String> LEAK_KIND = AttributeKey.stringKey("reqctx.leak.kind");
  /** A propagated key's name (metrics). */
  public static final AttributeKey<String> KEY = AttributeKey.stringKey("reqctx.key");
  /** The downstream a guarded call goes to (hedging metrics and span events). */
  public static final AttributeKey<String> DOWNSTREAM = AttributeKey.stringKey("reqctx.downstream");
  /** Which attempt of a guarded call, 1 for the first (hedging span events). */
  public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("reqctx.attempt");
  /** How long after the previous attempt a hedge was sent, in milliseconds (hedging span events). */
  public static final AttributeKey<Double> HEDGE_DELAY_MS = AttributeKey.doubleKey("reqctx.hedge.delay_ms");
  /** The callee of an outgoing call, as its client configuration names it (reserve metrics and spans). */
  public static final AttributeKey<String> CALLEE = AttributeKey.stringKey("reqctx.callee");
  /** The reserve kept back from an outgoing call's budget, in milliseconds (CLIENT spans). */
  public static final AttributeKey<Double> RESERVE_MS = AttributeKey.doubleKey("reqctx.reserve_ms");
  /** Where that reserve came from: {@code fixed} (floor plus fraction) or {@code adaptive} (observed transit). */
  public static final AttributeKey<String> RESERVE_SOURCE = AttributeKey.stringKey("reqctx.reserve.source");
}
