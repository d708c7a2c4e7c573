package io.reqctx.internal.transport;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.context.Context;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One inbound request as a server transport sees it: the opened {@link io.reqctx.CancellableCtx}, the
 * OpenTelemetry {@link Context} to attach around every callback of the call (it holds the ctx and
 * the SERVER span), and the verdict of the inbound rules.
 *
 * <p>{@link #open} runs three steps, each complete before the next starts:
 *
 * <ol>
 *   <li><b>read</b> the request once through the wire codecs: the request id ({@code x-request-id},
 *       kept when valid, generated otherwise); the W3C trace and baggage through the codecs ({@code
 *       TraceContext}, {@code Baggage}: unless another instrumentation owns them, the trace when the
 *       server continues it, the baggage when it accepts it); from a
 *       {@link Trust#TRUSTED} caller only, the caller's tier, the hop count and the attempt number; the
 *       accepted propagated keys (sensitive ones only from trusted callers), dropping undecodable or
 *       oversized values; the method's declaration ({@link ServerConfig#methodBudget}). A malformed or
 *       repeated header reads as absent;
 *   <li><b>decide</b>: the budget {@code BudgetPolicy.inbound(inbound remaining, own tier, method)} —
 *       none for a long-lived method without a cap called without a deadline — and the rejection, if
 *       any (no budget left on arrival, hop count above the limit);
 *   <li><b>open</b> the SERVER span, the scope (its deadline alarm armed) and the arrival metrics.
 * </ol>
 *
 * A step that throws leaves nothing behind: no scope, no alarm, no unended span.
 *
 * <pre>{@code
 * try (InboundCall inbound = InboundCall.open(config, headers, "shop.Orders/Get", remaining)) {
 *   if (inbound.rejection() != null) {
 *     respond(inbound.rejection());
 *     return;                                   // close() records REJECTED
 *   }
 *   try (Scope s = RequestCtx.attach(inbound.context())) {
 *     handler.handle();
 *   } catch (RuntimeException e) {
 *     inbound.cancel(e);                        // close() records ERROR
 *     throw e;
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe. The first {@code close} wins; transports close when the call ends, whatever the
 * outcome.
 */
public interface InboundCall extends AutoCloseable {

  /**
   * A caller that leaves with less than this left of the deadline it sent left because of that
   * deadline: its reset and this hop's own deadline race, and the deadline is the real cause.
   */
  Duration CALLER_DEADLINE_GRACE = Duration.ofMillis(50);

  /**
   * Opens the scope of one inbound call.
   *
   * @param headers the request's headers
   * @param method what the call is called in spans and method-budget lookups (gRPC: the full method name)
   * @param inboundRemaining the time the caller gave (parsed from {@code grpc-timeout} or a budget
   *     header, or the transport's own deadline for the call), or null when there is none
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

  /**
   * The budget the call was given ({@code BudgetPolicy.inbound(...)}); empty when the call runs without
   * a deadline (a long-lived method without a cap, called without a deadline).
   */
  Optional<Duration> budget();

  /** The caller's tier, when a trusted caller sent a known one. */
  Optional<Tier> callerTier();

  /**
   * The OpenTelemetry context to make current around every callback of the call: the ctx, the span
   * (reqctx's SERVER span with an OpenTelemetry SDK, else a non-recording span with the hop's W3C
   * ids, so that logs and the application's own spans see the trace), the hop's trace as reqctx keeps
   * it for the call's outbound calls, and the accepted baggage as OpenTelemetry's {@code Baggage}.
   */
  Context context();

  /**
   * Writes {@code reqctx-elapsed-us}, the time since the call was opened on the server's ticker, into the
   * response's headers (gRPC: its trailers), so that a caller with an adaptive reserve learns the
   * transit cost of the hop. Written to {@link Trust#TRUSTED} callers only: an edge server does not tell
   * the public how long it worked.
   */
  void writeElapsed(HeaderWriter writer);

  /**
   * Cancels the call's scope; the first cause wins. The cause says what happened, as {@link
   * Outcome#ofCancellation} reads it: a {@link io.reqctx.DeadlineExceededException}, a {@link
   * java.util.concurrent.CancellationException}, or the failure itself (a handler's exception).
   */
  void cancel(Throwable cause);

  /**
   * The transport saw the caller leave (it reset the call or disconnected): cancels the scope with a
   * {@link io.reqctx.DeadlineExceededException} when the caller's own deadline explains it (it had less
   * than {@link #CALLER_DEADLINE_GRACE} left), with a {@link
   * java.util.concurrent.CancellationException} otherwise.
   */
  void callerLeft();

  /**
   * A deadline the transport enforces for this call passed (grpc-java's server deadline, Armeria's
   * request timeout): cancels the scope with a {@link io.reqctx.DeadlineExceededException}.
   */
  void transportDeadlinePassed();

  /**
   * Ends the call with {@code outcome}: records it on the span (and ends the span when reqctx created
   * it), counts a deadline, and closes the scope. A scope not yet cancelled is first cancelled with a
   * cause that matches a failed outcome, so that its {@link io.reqctx.CtxObserver.CtxEnd} says the
   * same. First close wins.
   */
  void close(Outcome outcome);

  /**
   * Ends the call with the outcome that follows from its state: {@link Outcome#REJECTED} for a
   * rejected call, otherwise {@link Outcome#ofCancellation} of the scope's cancellation cause ({@link
   * Outcome#OK} when it was not cancelled).
   */
  @Override
  void close();
}
