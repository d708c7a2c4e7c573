/**
 * Budget-aware resilience on top of Resilience4j: {@link io.reqctx.resilience4j.BudgetRetry} (each
 * attempt time-limited by the request's budget, the attempt number sent in {@code reqctx-attempt}),
 * {@link io.reqctx.resilience4j.BudgetTimeLimiter}, {@link io.reqctx.resilience4j.RetryBudget} and
 * {@link io.reqctx.resilience4j.DownstreamGuard} (breaker + retry + fallback per downstream). May
 * import the reqctx SDK, Resilience4j (core, retry, circuitbreaker), the OpenTelemetry context API and
 * JSpecify; nothing transport-specific (the gRPC interceptor lives in {@code .grpc}, the Armeria
 * {@code WebClient} decorator in {@code .armeria}).
 *
 * <h2>No retry amplification</h2>
 *
 * <p>Retries at several layers multiply: 3 attempts at each of 5 layers are 3^5 = 243 calls at the
 * leaf. A retry loop therefore asks its {@link io.reqctx.resilience4j.AmplificationRule} whether the
 * hop it runs in may retry at all; when not, it makes exactly one attempt. The rule reads signals
 * reqctx already carries, so no new header is needed:
 *
 * <ul>
 *   <li>{@link io.reqctx.RequestCtx#hopCount()}: 0 at the origin, +1 per hop ({@code reqctx-hop});
 *   <li>{@link io.reqctx.RequestCtx#inboundAttempt()}: the inbound attempt number ({@code reqctx-attempt}).
 * </ul>
 *
 * <p>The default, {@link io.reqctx.resilience4j.AmplificationRule#originOnly()}, lets only hop 0 retry,
 * and only on a first attempt: whatever the depth and whatever each layer configures, the leaf sees at
 * most the origin's {@code maxAttempts} calls per request. {@code onlyAtHop(n)} moves the one retrying
 * layer down (e.g. to the services that call a flaky cache); {@code everyHop()} turns the protection
 * off. In every case, a retry loop running inside an attempt of another retry loop of the same process
 * does not retry.
 *
 * <p>Outside the rule, the checks before each retry are, in order: the caller's request is not
 * cancelled; the failure is retryable; attempts remain; the backoff plus the retry's minimum budget fit
 * in what is left after the reserve; the downstream's retry budget has a token. The breaker is asked
 * before every attempt.
 */
@NullMarked
package io.reqctx.resilience4j;

import org.jspecify.annotations.NullMarked;
