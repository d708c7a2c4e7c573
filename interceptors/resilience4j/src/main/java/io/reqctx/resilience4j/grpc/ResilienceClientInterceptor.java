package io.reqctx.resilience4j.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Fallback;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A grpc-java {@link ClientInterceptor} that puts a {@link DownstreamGuard} (Resilience4j's retry, time
 * limiter, circuit breaker and bulkhead under the request's budget, retry budget, fallback) around
 * unary calls, chosen per method from configuration, so that calls need no wrapping by hand.
 *
 * <p>Register it <em>outside</em> reqctx's own client interceptor (later in {@code
 * ClientInterceptors.intercept}, so it runs first): it makes each attempt's ctx ({@code
 * ctx.withOutgoingAttempt(n)}, deadline = the attempt's budget) current while the attempt's call is created,
 * and reqctx's interceptor then writes {@code reqctx-attempt: n}, sets the call's deadline from that
 * budget and cancels the call when the attempt's ctx is cancelled.
 *
 * <pre>{@code
 * Channel cache = ClientInterceptors.intercept(rawChannel,
 *     RequestCtxClientInterceptor.create(ClientConfig.builder(Tier.CACHE).trusted(true).build()),
 *     ResilienceClientInterceptor.builder()
 *         .service("shop.Cache", cacheGuard)                 // every method of the service
 *         .method("shop.Cache/Scan", scanGuard)              // a method of its own
 *         .fallback(CacheGrpc.getGetMethod(), (reason, failure) -> staleCopy())
 *         .build());
 * }</pre>
 *
 * <p>A guard with {@link io.reqctx.resilience4j.Hedging} hedges the calls of methods that are
 * idempotent: the guard says so ({@code DownstreamGuard.Builder.idempotent}), or the method's
 * descriptor is marked idempotent or safe. Each attempt, hedges included, is a call of its own on the
 * next channel; the first response wins and the others are cancelled (their servers see the cancel).
 *
 * <p>A response produced by a fallback carries the header {@link #DEGRADED} (set locally, never sent
 * on the wire) with the {@link io.reqctx.resilience4j.StopReason} in lower case; read it with {@code
 * MetadataUtils.newCaptureMetadataInterceptor}. Only unary methods are guarded; other methods, and
 * methods without a guard, pass through. Thread-safe.
 */
public final class ResilienceClientInterceptor {
  /**
   * Local response header marking a response produced by a fallback, e.g. {@code reqctx-degraded:
   * circuit_open}. Added on the client side only; it never travels to or from a peer.
   */
  public static final Metadata.Key<String> DEGRADED =
      Metadata.Key.of("reqctx-degraded", Metadata.ASCII_STRING_MARSHALLER);

  private ResilienceClientInterceptor() {}

  /**
   * Whether a failure is a gRPC {@code DEADLINE_EXCEEDED}: the interceptor counts these as timeouts of
   * the attempt (see {@link DownstreamGuard#withTimeoutOn}); pass it to {@code
   * DownstreamGuard.builder(...).timeoutOn(...)} for guards that call gRPC stubs directly.
   */
  public static Predicate<Throwable> deadlineExceeded() {
    return failure -> (failure instanceof StatusRuntimeException || failure instanceof StatusException)
        && Status.fromThrowable(failure).getCode() == Status.Code.DEADLINE_EXCEEDED;
  }

  /**
   * Whether a failure is a gRPC status with one of {@code codes}: for {@code
   * Hedging.builder().nonFatal(...)}, gRPC's {@code nonFatalStatusCodes}.
   */
  public static Predicate<Throwable> statusCodes(Status.Code... codes) {
    EnumSet<Status.Code> set = EnumSet.noneOf(Status.Code.class);
    for (Status.Code code : requireNonNull(codes, "codes")) {
      set.add(requireNonNull(code, "code"));
    }
    return failure -> (failure instanceof StatusRuntimeException || failure instanceof StatusException)
        && set.contains(Status.fromThrowable(failure).getCode());
  }

  /** Starts a configuration. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link ResilienceClientInterceptor}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, DownstreamGuard> byMethod = new HashMap<>();
    private final Map<String, DownstreamGuard> byService = new HashMap<>();
    private final Map<String, Fallback<?>> fallbacks = new HashMap<>();
    private Set<Status.Code> retryableCodes = EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);

    private Builder() {}

    /** Guards the method {@code fullMethodName} (e.g. {@code "shop.Cache/Get"}); wins over {@link #service}. */
    public Builder method(String fullMethodName, DownstreamGuard guard) {
      byMethod.put(requireNonNull(fullMethodName, "fullMethodName"), requireNonNull(guard, "guard"));
      return this;
    }

    /** Guards every method of the service {@code fullServiceName} (e.g. {@code "shop.Cache"}). */
    public Builder service(String fullServiceName, DownstreamGuard guard) {
      byService.put(requireNonNull(fullServiceName, "fullServiceName"), requireNonNull(guard, "guard"));
      return this;
    }

    /**
     * The response given when a guarded call of {@code method} gets none from the downstream (breaker
     * open, budget exhausted, attempts failed); it is marked with {@link #DEGRADED}.
     */
    public <RespT> Builder fallback(MethodDescriptor<?, RespT> method, Fallback<RespT> fallback) {
      fallbacks.put(requireNonNull(method, "method").getFullMethodName(), requireNonNull(fallback, "fallback"));
      return this;
    }

    /**
     * The status codes that are retried (default {@code UNAVAILABLE} and {@code DEADLINE_EXCEEDED}, the
     * latter being an attempt that ran out of its budget), among the failures the guard's {@code Retry}
     * retries (see {@link DownstreamGuard#withRetryOn}).
     */
    public Builder retryableCodes(Status.Code... codes) {
      EnumSet<Status.Code> set = EnumSet.noneOf(Status.Code.class);
      for (Status.Code code : codes) {
        set.add(requireNonNull(code, "code"));
      }
      this.retryableCodes = set;
      return this;
    }

    public ClientInterceptor build() {
      return new GuardingInterceptor(Map.copyOf(byMethod), Map.copyOf(byService), Map.copyOf(fallbacks),
          EnumSet.copyOf(retryableCodes.isEmpty() ? EnumSet.noneOf(Status.Code.class) : retryableCodes));
    }
  }
}
