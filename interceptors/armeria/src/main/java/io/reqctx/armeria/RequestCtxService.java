package io.reqctx.armeria;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.RequestCtx;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.transport.InboundCall;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import io.reqctx.internal.wire.WireHeaders;
import java.time.Duration;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The Armeria server side of reqctx for HTTP services: one {@link io.reqctx.CancellableCtx} per request.
 *
 * <p>For each request the decorator
 *
 * <ul>
 *   <li>reads the caller's budget as the smallest well-formed of {@code reqctx-budget-ms}, {@code
 *       grpc-timeout} and {@code x-envoy-expected-rq-timeout-ms}, and opens the scope with the inbound
 *       rules of the {@link ServerConfig} (tier cap, method budget, trust, request id, trace, keys);
 *       the method name for spans and method budgets is {@code "<HTTP method> <route pattern>"}, e.g.
 *       {@code "GET /orders/{id}"};
 *   <li>owns the request's deadline: Armeria's request timeout for the route is folded into the
 *       budget (reqctx may shorten it, never extend it) and then cleared, so that the scope's alarm is
 *       the one timer; and links cancellation both ways: the client leaving cancels the scope, the
 *       scope's deadline passing cancels the Armeria request;
 *   <li>makes the ctx current — with {@code trace_id}, {@code span_id} and {@code request_id} in the
 *       SLF4J MDC — in the service and wherever Armeria pushes this request's context: callbacks on
 *       {@code ctx.eventLoop()}, tasks on {@code ctx.blockingTaskExecutor()}, futures made
 *       context-aware with {@code ctx.makeContextAware(...)};
 *   <li>answers {@code 504 Gateway Timeout} with a one-line plain-text body naming the budget when the
 *       budget runs out before the response started (Armeria's request timeout, the scope's deadline,
 *       a {@link RejectedCallException} for lack of budget, a {@code WebClient} response timeout or a
 *       gRPC {@code DEADLINE_EXCEEDED} from a downstream call), and {@code 499 Client Closed Request}
 *       when the request was cancelled because its caller left (a downstream call then fails with
 *       {@code CANCELLED} or a cancelled {@link RejectedCallException}) — never {@code 500} for either;
 *       refuses a request that arrives with no budget left ({@code 504}) or above the hop limit
 *       ({@code 508 Loop Detected}) without running the service;
 *   <li>never echoes {@code reqctx-*} headers in response headers or trailers, and returns the request
 *       id as {@code x-request-id} so a client can quote it.
 * </ul>
 *
 * <p>With {@link Trust#EDGE} (a public gateway) the inbound budget is clamped to the gateway's cap, the
 * caller's tier, hop count, attempt and sensitive keys are ignored, an invalid request id is
 * replaced, and the service sees the request without its {@code reqctx-*} headers, so a handler that
 * forwards headers cannot forward forged ones. Header sizes are bounded twice: Armeria refuses a
 * request whose header block exceeds the server's {@code http1MaxHeaderSize} / {@code
 * http2MaxHeaderListSize} (8 KiB by default) with {@code 431} before any decorator runs; within that
 * limit, a header longer than its grammar allows is ignored as if absent and the request is answered
 * normally.
 *
 * <pre>{@code
 * Server.builder()
 *     .service("/orders/{id}", ordersService)
 *     .decorator(RequestCtxService.newDecorator(
 *         ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).openTelemetry(otel).build()))
 *     .build();
 * }</pre>
 *
 * <p>Do not also put this decorator on an Armeria {@code GrpcService}: hosted gRPC services get their
 * scope from {@link RequestCtxGrpcService}.
 */
public final class RequestCtxService extends SimpleDecoratingHttpService {
  private final ServerConfig config;

  private RequestCtxService(HttpService delegate, ServerConfig config) {
    super(delegate);
    this.config = config;
  }

  /** A decorator applying {@code config} to every request of the services it decorates. */
  public static Function<? super HttpService, RequestCtxService> newDecorator(ServerConfig config) {
    requireNonNull(config, "config");
    return delegate -> new RequestCtxService(requireNonNull(delegate, "delegate"), config);
  }

  @Override
  @SuppressWarnings("MustBeClosedChecker") // the call is closed when Armeria's request log completes
  public HttpResponse serve(ServiceRequestContext armeriaCtx, HttpRequest req) {
    RequestHeaders headers = req.headers();
    HeaderReader reader = ArmeriaHeaders.reader(headers);
    String method = headers.method().name() + " " + armeriaCtx.config().route().patternString();
    InboundCall inbound = InboundCall.open(config, reader, method, inboundRemaining(armeriaCtx, reader));
    RequestCtx ctx = inbound.ctx();
    String requestId = ctx.requestId();

    Rejection rejection = inbound.rejection();
    if (rejection != null) {
      inbound.close();
      return HttpOutcomes.rejected(rejection, requestId);
    }

    // Registered first, so that the scope closes whatever happens below.
    armeriaCtx.log().whenComplete().thenAccept(log -> inbound.close(HttpOutcomes.outcomeOf(log, ctx)));
    Context context = inbound.context();
    HttpRequest forService = req;
    try {
      armeriaCtx.setAttr(ArmeriaContexts.CONTEXT, context);
      ArmeriaContexts.hook(armeriaCtx, context);
      ArmeriaContexts.takeOverRequestTimeout(armeriaCtx, ctx);
      armeriaCtx.whenRequestCancelling().thenAccept(cause -> {
        if (HttpOutcomes.isDeadline(cause)) {
          inbound.transportDeadlinePassed();
        } else {
          inbound.callerLeft();
        }
      });
      if (config.trust() == Trust.EDGE) {
        // Also through ctx.request(), so no handler or later decorator can forward a forged header.
        forService = req.withHeaders(ArmeriaHeaders.withoutReqctxHeaders(headers));
        armeriaCtx.updateRequest(forService);
      }
    } catch (RuntimeException | Error e) {
      inbound.close(Outcome.ERROR);
      throw e;
    }

    HttpResponse response;
    try (Scope ignored = RequestCtx.attach(context)) {
      response = unwrap().serve(armeriaCtx, forService);
    } catch (Throwable t) {
      response = HttpResponse.ofFailure(t);
    }
    // The scope's deadline is the request's only timer: when the scope ends first, the service's response
    // is aborted with its cause, which becomes the 504 (or 499) below if nothing was sent yet.
    HttpResponse served = response;
    RequestCtx.CancelRegistration endWithScope = ctx.onCancel(served::abort);
    armeriaCtx.log().whenComplete().thenAccept(log -> endWithScope.remove());
    return served
        .recover(cause -> HttpOutcomes.recover(cause, ctx, () -> deadlineMessage(inbound), requestId))
        .mapHeaders(responseHeaders -> withElapsed(inbound, forClient(armeriaCtx, responseHeaders, requestId)))
        .mapTrailers(ArmeriaHeaders::withoutReqctxHeaders);
  }

  /**
   * The caller's budget from the headers, capped by the request timeout configured for this route in
   * Armeria: reqctx may shorten Armeria's timeout, never extend it.
   */
  private static @Nullable Duration inboundRemaining(ServiceRequestContext armeriaCtx, HeaderReader reader) {
    Duration fromHeaders = ArmeriaHeaders.inboundRemaining(reader);
    long configuredMillis = armeriaCtx.requestTimeoutMillis();
    if (configuredMillis <= 0) {
      return fromHeaders;
    }
    Duration configured = Duration.ofMillis(configuredMillis);
    return fromHeaders == null || configured.compareTo(fromHeaders) < 0 ? configured : fromHeaders;
  }

  private String deadlineMessage(InboundCall inbound) {
    return "reqctx: deadline exceeded: the " + config.tier().name() + " budget of "
        + inbound.budget().map(budget -> budget.toMillis() + "ms").orElse("(none)")
        + " ran out before the response started (request " + inbound.ctx().requestId() + ")";
  }

  /** {@code headers} with the hop's elapsed time, for the caller's reserve ({@link InboundCall#writeElapsed}). */
  private static ResponseHeaders withElapsed(InboundCall inbound, ResponseHeaders headers) {
    if (headers.status().isInformational()) {
      return headers;
    }
    ResponseHeadersBuilder builder = headers.toBuilder();
    inbound.writeElapsed(ArmeriaHeaders.writer(builder));
    return builder.build();
  }

  private static ResponseHeaders forClient(
      ServiceRequestContext armeriaCtx, ResponseHeaders headers, String requestId) {
    // Headers a service added through the context are merged later: clean those at the source.
    armeriaCtx.mutateAdditionalResponseHeaders(ArmeriaHeaders::removeReqctxHeaders);
    armeriaCtx.mutateAdditionalResponseTrailers(ArmeriaHeaders::removeReqctxHeaders);
    ResponseHeaders cleaned = ArmeriaHeaders.withoutReqctxHeaders(headers);
    if (cleaned.contains(WireHeaders.REQUEST_ID)) {
      return cleaned;
    }
    return cleaned.toBuilder().set(WireHeaders.REQUEST_ID, requestId).build();
  }

  @Override
  public String toString() {
    return "RequestCtxService[" + config.tier().name() + ", " + config.trust() + "]";
  }
}
