package io.reqctx.resilience4j.armeria;

import com.linecorp.armeria.client.Client;
import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.SimpleDecoratingHttpClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import io.opentelemetry.context.Context;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Fallback;
import java.util.Set;

/** {@link ResilienceClient}: picks the guard of each request's path and runs it as a guarded exchange. */
final class GuardingHttpClient extends SimpleDecoratingHttpClient {
  private final PathMap<DownstreamGuard> guards;
  /** The same guards taking their calls to be idempotent: for requests whose HTTP method is. */
  private final PathMap<DownstreamGuard> idempotentGuards;
  private final PathMap<Fallback<AggregatedHttpResponse>> fallbacks;
  private final Set<Integer> retryableStatuses;

  GuardingHttpClient(HttpClient delegate, PathMap<DownstreamGuard> guards,
      PathMap<Fallback<AggregatedHttpResponse>> fallbacks, Set<Integer> retryableStatuses) {
    super(delegate);
    this.guards = guards;
    this.idempotentGuards = guards.map(guard -> guard.withIdempotent(true));
    this.fallbacks = fallbacks;
    this.retryableStatuses = retryableStatuses;
  }

  @Override
  public HttpResponse execute(ClientRequestContext ctx, HttpRequest req) throws Exception {
    String path = ctx.path();
    // GET, HEAD, PUT, DELETE, OPTIONS, TRACE are idempotent (RFC 9110): such requests may be hedged.
    DownstreamGuard guard = (HttpMethod.idempotentMethods().contains(ctx.method()) ? idempotentGuards : guards)
        .find(path);
    Client<HttpRequest, HttpResponse> delegate = unwrap();
    if (guard == null) {
      return delegate.execute(ctx, req);
    }
    // The caller's context is current here (the decorator chain runs in the caller's execute()); the
    // attempts start later, once the body is aggregated, possibly on an event loop.
    return new GuardedExchange(delegate, ctx, guard, fallbacks.find(path), retryableStatuses, Context.current())
        .start(req);
  }

  @Override
  public String toString() {
    return "ResilienceClient[paths " + guards + ", fallbacks " + fallbacks + ", retrying " + retryableStatuses + "]";
  }
}
