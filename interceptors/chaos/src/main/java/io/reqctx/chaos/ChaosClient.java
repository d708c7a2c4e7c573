package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.SimpleDecoratingHttpClient;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Client-side chaos for Armeria {@code WebClient}s: the {@link ChaosRule.Side#CLIENT} rules of a
 * {@link Chaos}, applied per request path, to requests made while a request's ctx is current (the key
 * of each draw is the request id, the path and the attempt) or outside any request (numbered in order).
 *
 * <ul>
 *   <li>{@link Fault#deadlineSkew}: the {@code reqctx-budget-ms} reqctx's client decorator wrote is
 *       scaled and shifted, so the callee receives a budget that is too short or too long;
 *   <li>{@link Fault#latency}: the request reaches the network after the delay; its response timeout
 *       runs meanwhile;
 *   <li>{@link Fault#cancelStorm}: the request is cancelled after the delay
 *       ({@code ClientRequestContext.cancel(cause)}), as by a caller that gives up.
 * </ul>
 *
 * <p>Add it to the builder <em>before</em> reqctx's decorator, so that it runs after it, next to the
 * network:
 *
 * <pre>{@code
 * WebClient inventory = WebClient.builder("http://inventory:8080")
 *     .decorator(ChaosClient.newDecorator(chaos))
 *     .decorator(RequestCtxClient.newDecorator(clientConfig))
 *     .build();
 * }</pre>
 */
public final class ChaosClient extends SimpleDecoratingHttpClient {
  private final Chaos chaos;

  private ChaosClient(HttpClient delegate, Chaos chaos) {
    super(delegate);
    this.chaos = chaos;
  }

  /** A decorator applying the client rules of {@code chaos}. */
  public static Function<? super HttpClient, ChaosClient> newDecorator(Chaos chaos) {
    requireNonNull(chaos, "chaos");
    return delegate -> new ChaosClient(requireNonNull(delegate, "delegate"), chaos);
  }

  @Override
  public HttpResponse execute(ClientRequestContext ctx, HttpRequest req) throws Exception {
    String path = ctx.path();
    Plan plan = chaos.plan(ChaosRule.Side.CLIENT, path, ChaosClientInterceptor.requestKey(RequestCtx.current(), path));
    if (plan.isEmpty()) {
      return unwrap().execute(ctx, req);
    }
    Span span = Span.current();
    HttpRequest request = req;
    Decision skew = plan.deadlineSkew;
    if (skew != null) {
      BudgetHeaders.SkewedHttp rewritten = BudgetHeaders.skewHttp(req.headers(), plan.skew());
      if (rewritten == null) {
        chaos.telemetry().record(skew, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.MISSED, span, Attributes.empty());
      } else {
        request = req.withHeaders(rewritten.headers());
        ctx.updateRequest(request);
        chaos.telemetry().record(skew, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.INJECTED, span,
            ChaosTelemetry.budgets(rewritten.budget().beforeNanos(), rewritten.budget().afterNanos()));
      }
    }
    Decision cancel = plan.cancelStorm;
    if (cancel != null) {
      Ticker.Alarm alarm = chaos.ticker().schedule(() -> cancelNow(ctx, cancel, span), cancel.delay().toNanos());
      ctx.log().whenComplete().thenRun(alarm::cancel);
    }
    Decision latency = plan.latency;
    if (latency == null) {
      return unwrap().execute(ctx, request);
    }
    chaos.telemetry().record(latency, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.INJECTED, span,
        ChaosTelemetry.delay(latency.delay()));
    HttpRequest delayed = request;
    CompletableFuture<HttpResponse> later = new CompletableFuture<>();
    Ticker.Alarm alarm = chaos.ticker().schedule(() -> ctx.eventLoop().execute(() -> {
      Throwable cancelled = ctx.cancellationCause();
      if (cancelled != null) {
        later.complete(HttpResponse.ofFailure(cancelled));
        return;
      }
      try {
        later.complete(unwrap().execute(ctx, delayed));
      } catch (Throwable t) {
        later.complete(HttpResponse.ofFailure(t));
      }
    }), latency.delay().toNanos());
    ctx.log().whenComplete().thenRun(alarm::cancel);
    return HttpResponse.of(later);
  }

  private void cancelNow(ClientRequestContext ctx, Decision cancel, Span span) {
    if (ctx.isCancelled() || ctx.log().isComplete()) {
      chaos.telemetry().record(cancel, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.MISSED, (Span) null, Attributes.empty());
      return;
    }
    String message = cancel.cancelMessage("request");
    chaos.telemetry().record(cancel, ChaosRule.Side.CLIENT, ChaosTelemetry.Result.INJECTED, span,
        ChaosTelemetry.delay(cancel.delay()));
    ctx.cancel(new CancellationException(message));
  }

  @Override
  public String toString() {
    return "ChaosClient[" + chaos + "]";
  }
}
