package io.reqctx.resilience4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Fallback;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/** {@link ResilienceClientInterceptor}: picks the guard of each unary method and wraps its call. */
final class GuardingInterceptor implements ClientInterceptor {
  private final Map<String, DownstreamGuard> byMethod;
  private final Map<String, DownstreamGuard> byService;
  private final Map<String, Fallback<?>> fallbacks;
  private final Set<Status.Code> retryableCodes;
  private final Map<DownstreamGuard, DownstreamGuard> byStatus = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<DownstreamGuard, DownstreamGuard> idempotent = new java.util.concurrent.ConcurrentHashMap<>();

  GuardingInterceptor(Map<String, DownstreamGuard> byMethod, Map<String, DownstreamGuard> byService,
      Map<String, Fallback<?>> fallbacks, Set<Status.Code> retryableCodes) {
    this.byMethod = byMethod;
    this.byService = byService;
    this.fallbacks = fallbacks;
    this.retryableCodes = retryableCodes;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    DownstreamGuard guard = guardOf(method);
    if (guard == null || method.getType() != MethodDescriptor.MethodType.UNARY) {
      return next.newCall(method, callOptions);
    }
    return new GuardedUnaryCall<>(method, callOptions, next, guard,
        (@Nullable Fallback<RespT>) fallbacks.get(method.getFullMethodName()),
        io.opentelemetry.context.Context.current());
  }

  private @Nullable DownstreamGuard guardOf(MethodDescriptor<?, ?> method) {
    DownstreamGuard guard = byMethod.get(method.getFullMethodName());
    if (guard == null) {
      String service = method.getServiceName();
      guard = service == null ? null : byService.get(service);
    }
    if (guard == null) {
      return null;
    }
    DownstreamGuard transported = byStatus.computeIfAbsent(guard,
        g -> g.withRetryOn(retryableStatus()).withTimeoutOn(ResilienceClientInterceptor.deadlineExceeded()));
    // A method its descriptor marks idempotent or safe (proto idempotency_level) may be hedged.
    return method.isIdempotent() || method.isSafe()
        ? idempotent.computeIfAbsent(transported, g -> g.withIdempotent(true)) : transported;
  }

  private Predicate<Throwable> retryableStatus() {
    return failure -> (failure instanceof StatusRuntimeException || failure instanceof StatusException)
        && retryableCodes.contains(Status.fromThrowable(failure).getCode());
  }

  @Override
  public String toString() {
    return "ResilienceClientInterceptor[methods " + byMethod.keySet() + ", services " + byService.keySet()
        + ", retrying " + retryableCodes + "]";
  }
}
