package io.reqctx.internal.transport;

import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.Rejection;
import io.reqctx.transport.Outcome;
import io.opentelemetry.context.Context;
import io.reqctx.OutboundBudget;
import io.reqctx.RequestCtx;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One outgoing call as a client transport sees it: the budget verdict of {@link
 * io.reqctx.BudgetPolicy#outbound} for the configured callee, the CLIENT span, and the headers to send.
 *
 * <p>{@link #writeHeaders} writes {@code x-request-id}, {@code reqctx-tier} (the caller's tier),
 * {@code reqctx-hop} (the caller's hop count plus one), {@code reqctx-attempt}, one {@code
 * reqctx-key-<name>} per propagated value present (sensitive ones only when the peer is trusted) and
 * the trace through the configured propagator. It does not write a deadline header: the transport
 * sends {@link #budget()} in its own form ({@code grpc-timeout} from the call's deadline, or a budget
 * header).
 *
 * <pre>{@code
 * OutboundCall outbound = OutboundCall.prepare(config, Context.current(), "cache.Cache/Get");
 * if (outbound.rejection() != null) {
 *   return failedCall(outbound.rejection().message());       // nothing sent; span already ended
 * }
 * request.timeout(outbound.budget().orElseThrow());
 * outbound.writeHeaders(request.headers()::set);
 * send(request).whenComplete((r, e) -> outbound.end(e == null ? Outcome.OK : Outcome.ERROR));
 * }</pre>
 *
 * <p>Thread-safe. {@link #end} acts once.
 */
public interface OutboundCall {

  /**
   * Prepares a call made from {@code parent} (whose {@link RequestCtx} is the caller's ctx and whose
   * span becomes the CLIENT span's parent). A rejected call's span is ended here.
   */
  static OutboundCall prepare(ClientConfig config, Context parent, String method) {
    return OutboundCallImpl.prepare(config, parent, method);
  }

  /** The caller's ctx. */
  RequestCtx ctx();

  /** The verdict of the budget policy. */
  OutboundBudget verdict();

  /** Why the call must not be sent, or null when it may. */
  @Nullable Rejection rejection();

  /** The budget to put on the call; empty when the call is rejected. */
  Optional<Duration> budget();

  /** Writes the reqctx, request id and trace headers. */
  void writeHeaders(HeaderWriter writer);

  /** Records {@code outcome} on the CLIENT span and ends it. First call wins. */
  void end(Outcome outcome);
}
