/**
 * The request's deadline budget applied through Resilience4j's own types: a {@link
 * io.reqctx.resilience4j.DownstreamGuard} runs calls to one downstream through that downstream's
 * {@code Retry} (made budget-aware by {@link io.reqctx.resilience4j.BudgetAwareRetry}), {@code
 * TimeLimiter}, {@code CircuitBreaker} and {@code Bulkhead}, each attempt in its own budgeted scope,
 * with a {@link io.reqctx.resilience4j.RetryBudget} and a {@link io.reqctx.resilience4j.Fallback}.
 * May import the reqctx SDK, Resilience4j (core, retry, timelimiter, circuitbreaker, bulkhead), the
 * OpenTelemetry context API and JSpecify; nothing transport-specific (the gRPC interceptor lives in
 * {@code .grpc}, the Armeria {@code WebClient} decorator in {@code .armeria}). {@code
 * docs/RESILIENCE4J.md} says which rule needs code of its own and why.
 *
 * <h2>No retry amplification</h2>
 *
 * <p>Retries at several layers multiply: 3 attempts at each of 5 layers are 3^5 = 243 calls at the
 * leaf. A guarded call therefore asks its {@link io.reqctx.resilience4j.AmplificationRule} whether the
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
 * off. In every case, a guarded call running inside an attempt of another guarded call of the same
 * process does not retry.
 *
 * <p>After a failed attempt the {@code Retry} decides first (its exception predicate, its max
 * attempts, its backoff); then the budget may veto the retry, in order: the caller's request is not
 * cancelled; the transport retries the failure; the amplification rule; the backoff plus the retry's
 * minimum budget fit in what is left after the reserve; the downstream's retry budget has a token.
 * The breaker and the bulkhead are asked before every attempt.
 */
@NullMarked
package io.reqctx.resilience4j;

import org.jspecify.annotations.NullMarked;
