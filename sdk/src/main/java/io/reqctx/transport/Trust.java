package io.reqctx.transport;

/**
 * How far a server entry point believes its callers.
 *
 * <pre>{@code
 * ServerConfig internal = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).build();
 * ServerConfig gateway = ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).build();
 * }</pre>
 */
public enum Trust {
  /**
   * An internal hop: the deadline, tier, hop count, attempt number, propagated keys (sensitive ones
   * included), trace and baggage of the caller are accepted.
   */
  TRUSTED,
  /**
   * The public edge: the deadline is accepted but clamped to the own cap (a client can shorten its
   * budget, never extend it); tier, hop count, attempt number, sensitive keys and (unless {@link
   * ServerConfig.Builder#acceptBaggage} says otherwise) baggage are ignored; non-sensitive keys the
   * server accepts and the trace (unless {@link ServerConfig.Builder#continueInboundTrace} says
   * otherwise) are read as for {@link #TRUSTED}.
   */
  EDGE
}
