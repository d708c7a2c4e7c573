package io.reqctx.samples.chain;

import io.grpc.stub.AbstractStub;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How the chain is wired: with reqctx, or the way services are commonly wired without it, with a
 * fixed timeout on every call and nothing that carries the caller's deadline or cancellation across
 * the HTTP gateway.
 *
 * <pre>{@code
 * OrderServiceGrpc.OrderServiceBlockingStub stub = mode.perCall(orders);  // call it once
 * }</pre>
 */
public enum ChainMode {
  /** reqctx interceptors and decorators on every hop; budgets shrink hop by hop. */
  REQCTX,
  /** No reqctx: each hop calls the next with a static timeout of {@link #STATIC_TIMEOUT}. */
  STATIC_TIMEOUTS,
  /**
   * No reqctx, OpenTelemetry tracing only: static timeouts as {@link #STATIC_TIMEOUTS}, and every hop
   * traces its calls with {@link OtelTracingOnly}'s interceptors. The chain that traces as much as
   * reqctx's, for comparing throughput.
   */
  OTEL_TRACING_ONLY;

  /** The per-call timeout of {@link #STATIC_TIMEOUTS}, what a team picks when it has no budget to pass on. */
  public static final Duration STATIC_TIMEOUT = Duration.ofSeconds(2);

  /** The stub to make one call with: as it is, or with the static timeout starting now. */
  <S extends AbstractStub<S>> S perCall(S stub) {
    return staticTimeouts() ? stub.withDeadlineAfter(STATIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) : stub;
  }

  /** Whether each call gets {@link #STATIC_TIMEOUT} (every mode but reqctx's). */
  boolean staticTimeouts() {
    return this != REQCTX;
  }
}
