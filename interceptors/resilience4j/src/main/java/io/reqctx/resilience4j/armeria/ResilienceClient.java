package io.reqctx.resilience4j.armeria;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.InvalidHttpResponseException;
import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import io.netty.util.AsciiString;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Fallback;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An Armeria {@code WebClient} decorator that puts a {@link DownstreamGuard} (Resilience4j's retry,
 * time limiter, circuit breaker and bulkhead under the request's budget, retry budget, fallback)
 * around requests, chosen per path from configuration, so that calls need no wrapping by hand. The
 * HTTP twin of {@link
 * io.reqctx.resilience4j.grpc.ResilienceClientInterceptor}.
 *
 * <p>Add it <em>after</em> reqctx's {@code RequestCtxClient} decorator (in Armeria the decorator added last
 * runs first): for each attempt it makes the attempt's ctx ({@code ctx.withOutgoingAttempt(n)}, deadline = the
 * attempt's budget) current and runs the rest of the chain with a {@linkplain
 * ClientRequestContext#newDerivedContext derived client context} of its own; {@code RequestCtxClient} then
 * writes {@code reqctx-attempt: n}, sets the attempt's response timeout from that budget and cancels
 * the attempt's request when the attempt's ctx is cancelled. Put it the other way round and every
 * attempt is sent as attempt 1 with the whole request's budget.
 *
 * <pre>{@code
 * WebClient inventory = WebClient.builder("http://inventory:8080")
 *     .decorator(RequestCtxClient.newDecorator(ClientConfig.builder(Tier.SERVICE).trusted(true).build()))
 *     .decorator(ResilienceClient.builder()
 *         .path("/stock", stockGuard)                        // exactly this path
 *         .path("prefix:/items/", itemsGuard)                // every path under /items/
 *         .fallback("/stock", (reason, failure) -> AggregatedHttpResponse.of(HttpStatus.OK,
 *             MediaType.JSON_UTF_8, lastKnownStock()))
 *         .newDecorator())
 *     .build();
 * }</pre>
 *
 * <ul>
 *   <li>The request body is aggregated once and replayed on every attempt; the response of a guarded
 *       request is aggregated too (not for streaming).
 *   <li>An attempt fails, is recorded as a failure by the breaker and is retried (within the guard's
 *       limits) when its response has a {@linkplain Builder#retryableStatuses retryable status} (502,
 *       503, 504 by default) or it ends with a {@linkplain Builder#retryableExceptions retryable
 *       exception} (by default: not sent at all, session or stream closed, response timeout); an
 *       attempt that outlives its budget always is. Any other response, 500 included, is the answer.
 *   <li>When the attempts are over, the caller gets the last response (e.g. the third 503) or the last
 *       failure, which carries a {@link io.reqctx.resilience4j.RetryStoppedException} saying why it
 *       stopped; when no attempt could be made (breaker open, no budget) the response fails with that
 *       {@code RetryStoppedException}.
 *   <li>With a {@linkplain Builder#fallback fallback}, the fallback's response replaces both, marked
 *       with the header {@link #DEGRADED}. The fallback is not called when the caller's request was
 *       cancelled, and it runs on an Armeria event loop: it must not block.
 * </ul>
 *
 * <p>Guard idempotent routes, or give routes whose requests must not be repeated (most {@code POST}s) a
 * guard without a {@code Retry}: the breaker, the bulkhead and the fallback still apply.
 * Requests whose path has no guard pass through. Thread-safe.
 */
public final class ResilienceClient {
  /**
   * Local response header marking a response produced by a fallback, e.g. {@code reqctx-degraded:
   * circuit_open} (the {@link io.reqctx.resilience4j.StopReason} in lower case). Added on the client
   * side only: it never travels to or from a peer, so a response forwarded to another hop carries it
   * only if the application copies it.
   */
  public static final AsciiString DEGRADED = HttpHeaderNames.of("reqctx-degraded");

  private ResilienceClient() {}

  /** Starts a configuration. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures {@link ResilienceClient} decorators. Not thread-safe; may build several decorators. */
  public static final class Builder {
    private final Map<String, DownstreamGuard> guards = new HashMap<>();
    private final Map<String, Fallback<AggregatedHttpResponse>> fallbacks = new HashMap<>();
    private Set<Integer> retryableStatuses = Set.of(502, 503, 504);
    private Predicate<? super Throwable> retryableExceptions = Builder::unavailableLike;

    private Builder() {}

    /**
     * Guards requests to {@code pathPattern}: an exact path ({@code "/stock"}, the query ignored) or
     * {@code "prefix:/items/"} for every path starting so. An exact path wins over prefixes, and the
     * longest prefix over shorter ones. The path is the client request's, base URI path included.
     */
    public Builder path(String pathPattern, DownstreamGuard guard) {
      guards.put(PathMap.validate(pathPattern), requireNonNull(guard, "guard"));
      return this;
    }

    /**
     * The response given when a guarded request to {@code pathPattern} (same forms as {@link #path})
     * gets none from the downstream (breaker open, budget exhausted, attempts failed); it is marked with
     * {@link #DEGRADED}. Throw from the fallback to fail the request instead.
     */
    public Builder fallback(String pathPattern, Fallback<AggregatedHttpResponse> fallback) {
      fallbacks.put(PathMap.validate(pathPattern), requireNonNull(fallback, "fallback"));
      return this;
    }

    /**
     * The response status codes that are retried (default 502, 503 and 504), among the failures the
     * guard's {@code Retry} retries (see {@link DownstreamGuard#withRetryOn}), together with {@link
     * #retryableExceptions}.
     */
    public Builder retryableStatuses(int... codes) {
      TreeSet<Integer> set = new TreeSet<>();
      for (int code : requireNonNull(codes, "codes")) {
        if (code < 100 || code > 599) {
          throw new IllegalArgumentException("retryableStatuses: " + code + " is not an HTTP status code");
        }
        set.add(code);
      }
      this.retryableStatuses = Set.copyOf(set);
      return this;
    }

    /**
     * The exceptions that are retried (default: {@link UnprocessedRequestException} — the request never
     * left —, {@link ClosedSessionException}, {@link ClosedStreamException} and {@link
     * ResponseTimeoutException}), among the failures the guard's {@code Retry} retries, together with
     * {@link #retryableStatuses}. A {@code ResponseTimeoutException} counts as a timeout of the attempt.
     */
    public Builder retryableExceptions(Predicate<? super Throwable> retryable) {
      this.retryableExceptions = requireNonNull(retryable, "retryable");
      return this;
    }

    /** A decorator for {@code WebClient.builder(...).decorator(...)} applying this configuration. */
    public Function<? super HttpClient, ? extends HttpClient> newDecorator() {
      Set<Integer> statuses = retryableStatuses;
      Predicate<? super Throwable> exceptions = retryableExceptions;
      Predicate<Throwable> retryOn = failure -> failure instanceof InvalidHttpResponseException invalid
          ? statuses.contains(invalid.response().status().code())
          : exceptions.test(failure);
      PathMap<DownstreamGuard> guardsByPath = PathMap.of(guards)
          .map(guard -> guard.withRetryOn(retryOn).withTimeoutOn(ResponseTimeoutException.class::isInstance));
      PathMap<Fallback<AggregatedHttpResponse>> fallbacksByPath = PathMap.of(fallbacks);
      return delegate -> new GuardingHttpClient(requireNonNull(delegate, "delegate"), guardsByPath,
          fallbacksByPath, statuses);
    }

    private static boolean unavailableLike(Throwable failure) {
      return failure instanceof UnprocessedRequestException || failure instanceof ClosedSessionException
          || failure instanceof ClosedStreamException || failure instanceof ResponseTimeoutException;
    }
  }
}
