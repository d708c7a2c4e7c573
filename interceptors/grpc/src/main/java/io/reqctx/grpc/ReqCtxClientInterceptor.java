package io.reqctx.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ClientInterceptor;
import io.reqctx.transport.ClientConfig;

/**
 * The grpc-java client side of reqctx. For each call made while a {@link io.reqctx.RequestCtx} is
 * current, the interceptor asks the {@link io.reqctx.BudgetPolicy} for the callee's budget: when it is
 * below the minimum viable budget the call is not sent and fails at once with {@code
 * DEADLINE_EXCEEDED} and a message giving the numbers; otherwise the call's deadline becomes the
 * earlier of its own and now + budget, the reqctx, request-id and trace headers are added, and
 * cancelling the ctx cancels the call.
 *
 * <pre>{@code
 * Channel cache = ClientInterceptors.intercept(
 *     ManagedChannelBuilder.forTarget("cache:443").build(),
 *     ReqCtxClientInterceptor.create(ClientConfig.builder(Tier.CACHE).trusted(true).build()));
 * }</pre>
 */
public final class ReqCtxClientInterceptor {

  private ReqCtxClientInterceptor() {}

  /** A thread-safe interceptor applying {@code config} to every call of a channel. */
  public static ClientInterceptor create(ClientConfig config) {
    return new OutboundInterceptor(requireNonNull(config, "config"));
  }
}
