package io.reqctx.internal.transport;

import io.opentelemetry.context.Context;
import io.reqctx.OutboundBudget;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.RequestCtx;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.Egress;
import io.reqctx.transport.SpanMode;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One outgoing call as a client transport sees it: the budget verdict of {@link
 * io.reqctx.BudgetPolicy#outbound} for the configured callee, the CLIENT span, and the headers to send.
 *
 * <p>{@link #prepare} only decides: it starts nothing, so a call that is created and never started
 * leaks nothing. {@link #start} starts the CLIENT span (for a rejected call it also ends it, with
 * {@link Outcome#REJECTED}, and counts the rejection); {@link #end} ends it.
 *
 * <p>A call made outside any request (the caller's ctx is {@link RequestCtx#root()} or derived from
 * it: no request id) gets no deadline invented from the callee's tier cap: its budget is the callee's
 * method budget when one is declared, and none otherwise, unless {@link
 * ClientConfig#tierCapOutsideRequests()} is set.
 *
 * <p>{@link #writeHeaders} writes, to a callee of the fleet ({@link Egress#FLEET}), {@code
 * x-request-id}, {@code reqctx-tier} (the caller's tier), {@code reqctx-hop} (the caller's hop count
 * plus one), {@code reqctx-attempt}, one {@code reqctx-key-<name>} per propagated value present
 * (sensitive ones only when the peer is trusted); to every callee but an {@link
 * Egress#EXTERNAL_NONE} one, {@code traceparent}, {@code tracestate} and {@code baggage} through the
 * W3C codecs (not with {@link SpanMode#ENRICH}, where the owning instrumentation writes them). It
 * removes what it owns and does not send (a stale {@code tracestate}, the request id to a callee
 * outside the fleet); the transport removes every {@code reqctx-*} header already on the request
 * before, as that namespace is reqctx's. It does not write a deadline: the transport sends {@link
 * #budget()} in its own form ({@code grpc-timeout} from the call's deadline, or {@link
 * #writeBudgetHeader} on HTTP), and nothing when the budget is empty.
 *
 * <p>The trace a call sends: with an OpenTelemetry SDK, the CLIENT span's ids (the inbound random flag
 * and reqctx's {@code tracestate} kept beside the span); without one, the hop's trace id with a fresh
 * parent-id for every call, so each callee can tell its callers apart (see {@code HopTrace}).
 *
 * <pre>{@code
 * OutboundCall outbound = OutboundCall.prepare(config, Context.current(), "cache.Cache/Get");
 * outbound.start();
 * if (outbound.rejection() != null) {
 *   return failedCall(outbound.rejection().message());       // nothing sent; span already ended
 * }
 * outbound.budget().ifPresent(request::timeout);
 * outbound.writeHeaders(headers);
 * outbound.writeBudgetHeader(headers);
 * send(request).whenComplete((r, e) -> outbound.end(e == null ? Outcome.OK : Outcome.ERROR));
 * }</pre>
 *
 * <p>Thread-safe. {@link #start} and {@link #end} act once.
 */
public interface OutboundCall {

  /**
   * Decides a call made from {@code parent} (whose {@link RequestCtx} is the caller's ctx and whose
   * span becomes the CLIENT span's parent). Starts nothing.
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

  /** The budget to put on the call; empty when the call is rejected or is sent without a deadline. */
  Optional<Duration> budget();

  /**
   * The call starts: starts the CLIENT span and reports a tier violation; a rejected call is counted
   * and its span ended here. Acts once.
   */
  void start();

  /**
   * Writes the reqctx, request id and W3C headers the {@link ClientConfig#egress()} allows, and removes
   * those of them it does not send; starts the call first if needed.
   */
  void writeHeaders(HeaderWriter writer);

  /**
   * Writes the HTTP budget header {@code reqctx-budget-ms} for {@link #budget()} to a callee of the
   * fleet, or removes it (no budget, or a callee outside the fleet: its response timeout still bounds
   * the call locally). gRPC transports send {@code grpc-timeout} from the call's deadline instead.
   */
  void writeBudgetHeader(HeaderWriter writer);

  /**
   * The response's headers (gRPC: its trailers) arrived: with an {@linkplain
   * io.reqctx.BudgetPolicy#adaptiveReserve() adaptive reserve}, the time since {@link #start} minus the
   * callee's own elapsed time ({@code reqctx-elapsed-us}) is recorded as the callee's transit cost,
   * which later calls to it reserve. Nothing happens without the header, before {@link #start}, or with
   * a fixed reserve.
   */
  void received(HeaderReader headers);

  /** Records {@code outcome} on the CLIENT span and ends it. First call wins; nothing before {@link #start}. */
  void end(Outcome outcome);
}
