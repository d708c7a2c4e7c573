package io.reqctx.internal.transport;

import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import io.reqctx.transport.Rejection;
import io.reqctx.transport.Outcome;
import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.context.Context;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One inbound request as a server transport sees it: the opened {@link io.reqctx.CancellableCtx}, the
 * OpenTelemetry {@link Context} to attach around every callback of the call (it holds the ctx and
 * the SERVER span), and the verdict of the inbound rules.
 *
 * <p>{@link #open} reads, through the wire codecs: the request id ({@code x-request-id}, kept when
 * valid, generated otherwise); the W3C trace through the configured propagator; and, from a
 * {@link Trust#TRUSTED} caller only, the caller's tier, the hop count and the attempt number. It
 * decodes the accepted propagated keys (sensitive ones only from trusted callers), drops undecodable or
 * oversized values, and gives the scope the budget {@code BudgetPolicy.inboundBudget(inbound remaining,
 * own tier, method budget)}. A malformed or repeated header is ignored as if absent.
 *
 * <pre>{@code
 * try (InboundCall inbound = InboundCall.open(config, headers, "shop.Orders/Get", remaining)) {
 *   if (inbound.rejection() != null) {
 *     respond(inbound.rejection());
 *     return;
 *   }
 *   try (Scope s = RequestCtx.attach(inbound.context())) {
 *     handler.handle();
 *   }
 *   inbound.close(Outcome.OK);
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close(Outcome)} acts once; transports call it when the call ends, whatever
 * the outcome.
 */
public interface InboundCall extends AutoCloseable {

  /**
   * Opens the scope of one inbound call.
   *
   * @param headers the request's headers
   * @param method what the call is called in spans and method-budget lookups (gRPC: the full method name)
   * @param inboundRemaining the time the caller gave (parsed from {@code grpc-timeout} or a budget
   *     header), or null when it sent none
   */
  @MustBeClosed
  static InboundCall open(
      ServerConfig config, HeaderReader headers, String method, @Nullable Duration inboundRemaining) {
    return InboundCallImpl.open(config, headers, method, inboundRemaining);
  }

  /** Why the call must be refused without running the handler, or null when it may run. */
  @Nullable Rejection rejection();

  /** The ctx of the call's scope. */
  RequestCtx ctx();

  /** The budget the call was given: {@code BudgetPolicy.inboundBudget(...)}. */
  Duration budget();

  /** The caller's tier, when a trusted caller sent a known one. */
  Optional<Tier> callerTier();

  /** The OpenTelemetry context to make current around every callback of the call. */
  Context context();

  /** Cancels the call's scope, e.g. when the transport sees the caller leave. First cause wins. */
  void cancel(Throwable cause);

  /** Ends the call: records {@code outcome} on the span and ends it, closes the scope. First call wins. */
  void close(Outcome outcome);

  /**
   * Ends the call with the outcome that follows from its state: the rejection's, {@link
   * Outcome#DEADLINE_EXCEEDED} or {@link Outcome#CANCELLED} when the scope was cancelled, {@link
   * Outcome#OK} otherwise.
   */
  @Override
  void close();
}
