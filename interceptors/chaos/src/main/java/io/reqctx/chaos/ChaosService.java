package io.reqctx.chaos;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.netty.util.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.reqctx.RequestCtx;
import io.reqctx.Ticker;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Server-side chaos for Armeria HTTP services: the {@link ChaosRule.Side#SERVER} rules of a {@link
 * Chaos}, applied per request path ({@code ctx.path()}, e.g. {@code /orders/42}), around reqctx's
 * service decorator.
 *
 * <ul>
 *   <li>{@link Fault#cancelStorm}: after the drawn delay the request is cancelled through Armeria
 *       ({@code ServiceRequestContext.cancel(cause)}, the cause naming the fault), which reqctx turns
 *       into the cancellation of the request's ctx as for a caller that left: the service sees
 *       {@code RequestCtx.isCancelled()}, its {@code onCancel} listeners run, calls it made downstream
 *       are cancelled;
 *   <li>{@link Fault#deadlineSkew}: {@code reqctx-budget-ms}, {@code grpc-timeout} and {@code
 *       x-envoy-expected-rq-timeout-ms} are rewritten before reqctx reads them (a longer budget stays
 *       capped by the gateway's tier cap and Armeria's request timeout, as reqctx caps every budget);
 *   <li>{@link Fault#latency}: the service is called after the delay, inside the request's scope;
 *   <li>{@link Fault#valueLeak}: the request's ctx and the watched values are checked by {@link
 *       Chaos#checkValueLeaks} once the request's log is complete.
 * </ul>
 *
 * <pre>{@code
 * Server.builder()
 *     .service("/orders/{id}", orders.decorate(ChaosService.newDecorator(chaos,
 *         RequestCtxService.newDecorator(ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).build()))))
 *     .build();
 * }</pre>
 */
public final class ChaosService extends SimpleDecoratingHttpService {
  private static final AttributeKey<RequestChaos> STATE = AttributeKey.valueOf(ChaosService.class, "state");

  private final Chaos chaos;

  private ChaosService(HttpService delegate, Chaos chaos) {
    super(delegate);
    this.chaos = chaos;
  }

  /**
   * A decorator that applies {@code chaos} around {@code reqctx} (reqctx's {@code
   * RequestCtxService.newDecorator(config)}): use it instead of reqctx's.
   */
  public static Function<? super HttpService, ChaosService> newDecorator(
      Chaos chaos, Function<? super HttpService, ? extends HttpService> reqctx) {
    requireNonNull(chaos, "chaos");
    requireNonNull(reqctx, "reqctx");
    return service -> new ChaosService(reqctx.apply(new Inside(requireNonNull(service, "service"), chaos)), chaos);
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    Plan plan = chaos.plan(ChaosRule.Side.SERVER, ctx.path(), req.headers().get(BudgetHeaders.REQUEST_ID.name()));
    if (plan.isEmpty()) {
      return unwrap().serve(ctx, req);
    }
    RequestChaos state = new RequestChaos(chaos, plan);
    ctx.setAttr(STATE, state);
    HttpRequest request = req;
    BudgetHeaders.Skewed skewed = null;
    if (plan.deadlineSkew != null) {
      BudgetHeaders.SkewedHttp rewritten = BudgetHeaders.skewHttp(req.headers(), plan.skew());
      if (rewritten != null) {
        request = req.withHeaders(rewritten.headers());
        ctx.updateRequest(request);
        skewed = rewritten.budget();
      }
    }
    ctx.log().whenComplete().thenRun(state::end);
    Decision cancel = plan.cancelStorm;
    if (cancel != null) {
      state.cancelAlarm = chaos.ticker().schedule(() -> state.injectCancel(ctx), cancel.delay().toNanos());
    }
    HttpResponse response = unwrap().serve(ctx, request);
    if (plan.deadlineSkew != null) {
      chaos.telemetry().record(plan.deadlineSkew, ChaosRule.Side.SERVER,
          skewed == null ? ChaosTelemetry.Result.MISSED : ChaosTelemetry.Result.INJECTED, state.span,
          skewed == null ? Attributes.empty() : ChaosTelemetry.budgets(skewed.beforeNanos(), skewed.afterNanos()));
    }
    return response;
  }

  @Override
  public String toString() {
    return "ChaosService[" + chaos + " around " + unwrap() + "]";
  }

  /** The part that runs inside reqctx's decorator, with the request's ctx and span current. */
  private static final class Inside extends SimpleDecoratingHttpService {
    private final Chaos chaos;

    Inside(HttpService delegate, Chaos chaos) {
      super(delegate);
      this.chaos = chaos;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
      RequestChaos state = ctx.attr(STATE);
      if (state == null) {
        return unwrap().serve(ctx, req);
      }
      state.span.known(Span.current());
      Decision leak = state.plan.valueLeak;
      if (leak != null) {
        state.watch = chaos.valueLeaks().watch(RequestCtx.current(), state.plan.leak().keys());
        chaos.telemetry().record(leak, ChaosRule.Side.SERVER, ChaosTelemetry.Result.INJECTED, state.span, Attributes.empty());
        if (state.ended.get()) {
          state.watch.ended();
        }
      }
      Decision latency = state.plan.latency;
      if (latency == null) {
        return unwrap().serve(ctx, req);
      }
      chaos.telemetry().record(latency, ChaosRule.Side.SERVER, ChaosTelemetry.Result.INJECTED, state.span,
          ChaosTelemetry.delay(latency.delay()));
      CompletableFuture<HttpResponse> later = new CompletableFuture<>();
      // The event loop pushes the request's Armeria context, and with it reqctx's ctx.
      state.latencyAlarm = chaos.ticker().schedule(() -> ctx.eventLoop().execute(() -> {
        Throwable cancelled = ctx.cancellationCause();
        if (cancelled != null) {
          later.complete(HttpResponse.ofFailure(cancelled));
          return;
        }
        try {
          later.complete(unwrap().serve(ctx, req));
        } catch (Throwable t) {
          later.complete(HttpResponse.ofFailure(t));
        }
      }), latency.delay().toNanos());
      return HttpResponse.of(later);
    }
  }

  /** What chaos does to one request, shared by the outside and inside parts. */
  private static final class RequestChaos {
    final Chaos chaos;
    final Plan plan;
    final AtomicBoolean ended = new AtomicBoolean();
    final CallSpan span = new CallSpan();
    volatile ValueLeaks.@Nullable Watch watch;
    volatile Ticker.@Nullable Alarm cancelAlarm;
    volatile Ticker.@Nullable Alarm latencyAlarm;

    RequestChaos(Chaos chaos, Plan plan) {
      this.chaos = chaos;
      this.plan = plan;
    }

    void injectCancel(ServiceRequestContext ctx) {
      Decision cancel = java.util.Objects.requireNonNull(plan.cancelStorm);
      if (ended.get() || ctx.isCancelled() || ctx.log().isComplete()) {
        chaos.telemetry().record(cancel, ChaosRule.Side.SERVER, ChaosTelemetry.Result.MISSED, span, Attributes.empty());
        return;
      }
      String message = cancel.cancelMessage("request");
      chaos.telemetry().record(cancel, ChaosRule.Side.SERVER, ChaosTelemetry.Result.INJECTED, span,
          ChaosTelemetry.delay(cancel.delay()));
      ctx.cancel(new CancellationException(message));
    }

    void end() {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      for (Ticker.Alarm alarm : new Ticker.Alarm[] {cancelAlarm, latencyAlarm}) {
        if (alarm != null) {
          alarm.cancel();
        }
      }
      ValueLeaks.Watch w = watch;
      if (w != null) {
        w.ended();
      }
    }
  }
}
