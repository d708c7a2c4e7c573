package io.reqctx.armeria;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.SimpleDecoratingHttpClient;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.common.util.TimeoutMode;
import io.opentelemetry.context.Context;
import io.reqctx.RequestCtx;
import io.reqctx.transport.ClientConfig;
import io.reqctx.internal.transport.HeaderWriter;
import io.reqctx.internal.transport.OutboundCall;
import io.reqctx.Rejection;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Armeria client side of reqctx for {@code WebClient}s: for each request made while a {@link
 * RequestCtx} is current (or from a service whose request {@link RequestCtxService} or {@link
 * RequestCtxGrpcService} opened), the {@link io.reqctx.BudgetPolicy} gives the callee's budget.
 *
 * <ul>
 *   <li>Below the minimum viable budget, or when the caller's request is already cancelled, the request
 *       is not sent: the response fails with a {@link RejectedCallException} whose message gives the
 *       numbers ({@link RequestCtxService} turns it into {@code 504}, or {@code 499} when the caller
 *       left).
 *   <li>Otherwise Armeria's response timeout becomes the budget (unless a shorter one is set), and the
 *       request carries {@code reqctx-budget-ms} (no budget and no timeout change for a request made
 *       outside any request, or to a long-lived path, without a limit), {@code reqctx-tier}, {@code reqctx-hop}, {@code
 *       reqctx-attempt}, {@code x-request-id}, the propagated keys (sensitive ones only to a peer
 *       configured as trusted) and the W3C {@code traceparent}, {@code tracestate} and {@code
 *       baggage}. Any {@code reqctx-*} header already on the request is replaced: the decorator owns
 *       that namespace, so headers copied from an inbound request cannot forge anything.
 *   <li>A callee outside the fleet ({@code egress(Egress.EXTERNAL_W3C)}) gets only the three W3C
 *       headers ({@code EXTERNAL_NONE}: none of them), never a {@code reqctx-*} header, {@code
 *       x-request-id} or a propagated key, even one copied onto the request; the response timeout
 *       still bounds the call.
 *   <li>Cancelling the caller's ctx cancels the request; callbacks Armeria runs with the client
 *       request context pushed see the caller's ctx.
 * </ul>
 *
 * <p>The callee name for {@link ClientConfig#callee} lookups and the CLIENT span is {@code "<HTTP
 * method> <path>"}, e.g. {@code "GET /stock/42"}.
 *
 * <pre>{@code
 * WebClient inventory = WebClient.builder("http://inventory:8080")
 *     .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(Tier.SERVICE).trusted(true).build()))
 *     .build();
 * }</pre>
 */
public final class RequestCtxClient extends SimpleDecoratingHttpClient {
  private final ClientConfig config;

  private RequestCtxClient(HttpClient delegate, ClientConfig config) {
    super(delegate);
    this.config = config;
  }

  /** A decorator applying {@code config} to every request of the clients it decorates. */
  public static Function<? super HttpClient, RequestCtxClient> newDecorator(ClientConfig config) {
    requireNonNull(config, "config");
    return delegate -> new RequestCtxClient(requireNonNull(delegate, "delegate"), config);
  }

  @Override
  public HttpResponse execute(ClientRequestContext armeriaCtx, HttpRequest req) throws Exception {
    Context parent = callerContext(armeriaCtx);
    String method = req.method().name() + " " + armeriaCtx.path();
    OutboundCall outbound = OutboundCall.prepare(config, parent, method);
    outbound.start(); // execute() is the start of the call: the CLIENT span starts (or records the refusal) here
    Rejection rejection = outbound.rejection();
    if (rejection != null) {
      return HttpResponse.ofFailure(new RejectedCallException(rejection));
    }

    Optional<Duration> budget = outbound.budget();
    if (budget.isPresent()) {
      long configuredMillis = armeriaCtx.responseTimeoutMillis();
      if (configuredMillis == 0 || configuredMillis > budget.get().toMillis()) {
        armeriaCtx.setResponseTimeout(TimeoutMode.SET_FROM_NOW, budget.get());
      }
    }

    RequestHeadersBuilder headers = req.headers().toBuilder();
    ArmeriaHeaders.removeReqctxHeaders(headers);
    HeaderWriter writer = ArmeriaHeaders.writer(headers);
    outbound.writeHeaders(writer);
    outbound.writeBudgetHeader(writer);
    HttpRequest budgeted = req.withHeaders(headers.build());
    armeriaCtx.updateRequest(budgeted);

    ArmeriaContexts.hook(armeriaCtx, parent);
    RequestCtx caller = outbound.ctx();
    RequestCtx.CancelRegistration callerCancelled = caller.onCancel(armeriaCtx::cancel);
    armeriaCtx.log().whenAvailable(RequestLogProperty.RESPONSE_HEADERS)
        .thenAccept(log -> outbound.received(ArmeriaHeaders.reader(log.responseHeaders()))); // for the reserve
    armeriaCtx.log().whenComplete().thenAccept(log -> {
      callerCancelled.remove();
      outbound.end(HttpOutcomes.outcomeOf(log, caller));
    });
    return unwrap().execute(armeriaCtx, budgeted);
  }

  /**
   * The context current on this thread when it holds a request; otherwise the one of the service
   * request this client request belongs to (decorators may run on an event loop when the endpoint is
   * resolved asynchronously).
   */
  private static Context callerContext(ClientRequestContext armeriaCtx) {
    Context current = Context.current();
    if (RequestCtx.fromContext(current) != RequestCtx.root()) {
      return current;
    }
    Context stored = ArmeriaContexts.stored(armeriaCtx);
    return stored != null ? stored : current;
  }

  @Override
  public String toString() {
    return "RequestCtxClient[" + config.calleeTier().name() + (config.trusted() ? ", trusted" : "") + "]";
  }
}
