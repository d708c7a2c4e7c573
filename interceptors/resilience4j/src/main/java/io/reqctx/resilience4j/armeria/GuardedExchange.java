package io.reqctx.resilience4j.armeria;

import com.linecorp.armeria.client.Client;
import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.InvalidHttpResponseException;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.logging.RequestLogAccess;
import com.linecorp.armeria.common.logging.RequestLogBuilder;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.common.util.Exceptions;
import com.linecorp.armeria.common.util.SafeCloseable;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.RequestCtx;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Fallback;
import io.reqctx.resilience4j.StopReason;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One guarded request: the body is aggregated once, then each attempt replays it on a client context
 * derived from the caller's ({@link ClientRequestContext#newDerivedContext}, a child of its log), with
 * the attempt's ctx current while the rest of the chain runs and whenever Armeria pushes that context.
 * The caller's response is the successful attempt's, the fallback's, or the last attempt's outcome.
 */
final class GuardedExchange {
  private final Client<HttpRequest, HttpResponse> next;
  private final ClientRequestContext ctx;
  private final DownstreamGuard guard;
  private final @Nullable Fallback<AggregatedHttpResponse> fallback;
  private final Set<Integer> retryableStatuses;
  private final Context callerContext;
  private final CompletableFuture<HttpResponse> response = new CompletableFuture<>();
  private final AtomicInteger attemptsStarted = new AtomicInteger();
  private volatile @Nullable CompletableFuture<?> running;

  GuardedExchange(Client<HttpRequest, HttpResponse> next, ClientRequestContext ctx, DownstreamGuard guard,
      @Nullable Fallback<AggregatedHttpResponse> fallback, Set<Integer> retryableStatuses, Context callerContext) {
    this.next = next;
    this.ctx = ctx;
    this.guard = guard;
    this.fallback = fallback;
    this.retryableStatuses = retryableStatuses;
    this.callerContext = callerContext;
  }

  HttpResponse start(HttpRequest req) {
    HttpResponse result = HttpResponse.of(response);
    // The caller aborted the response, or its client context was cancelled (e.g. its response timeout).
    result.whenComplete().exceptionally(cause -> stop());
    ctx.whenResponseCancelled().thenAccept(cause -> {
      stop();
      fail(cause);
    });
    req.aggregate().handle((aggregated, cause) -> {
      if (cause != null) {
        fail(Exceptions.peel(cause));
      } else {
        run(aggregated);
      }
      return null;
    });
    return result;
  }

  private void run(AggregatedHttpRequest request) {
    CompletableFuture<?> attempts;
    try (Scope ignored = RequestCtx.attach(callerContext)) {
      Fallback<AggregatedHttpResponse> recover = fallback;
      if (recover != null) {
        attempts = guard.callAsync(() -> attempt(request), (reason, failure) -> degraded(recover, reason, failure))
            .toCompletableFuture()
            .whenComplete((guarded, error) -> finish(guarded == null ? null : guarded.value(), error));
      } else {
        attempts = guard.callAsync(() -> attempt(request)).toCompletableFuture().whenComplete(this::finish);
      }
    }
    running = attempts;
    if (response.isDone()) {
      attempts.cancel(true); // stopped while the body was being aggregated
    }
  }

  /** One attempt, started while its ctx is current: a derived client context, the body replayed. */
  private CompletionStage<Answer> attempt(AggregatedHttpRequest request) {
    int attempt = attemptsStarted.incrementAndGet();
    HttpRequest replay = request.toHttpRequest();
    ClientRequestContext derived =
        ctx.newDerivedContext(ctx.options().requestIdGenerator().get(), replay, ctx.rpcRequest(), endpointFor(attempt));
    ctx.logBuilder().addChild(derived.log());
    attachWhenPushed(derived, Context.current());

    HttpResponse attemptResponse;
    try (SafeCloseable ignored = derived.push()) {
      attemptResponse = next.execute(derived, replay);
    } catch (Throwable t) {
      replay.abort(t);
      attemptResponse = HttpResponse.ofFailure(t);
    }
    HttpResponse sent = attemptResponse;
    CompletableFuture<Answer> outcome = new CompletableFuture<>();
    sent.aggregate().handle((aggregated, cause) -> {
      Throwable failure = cause == null ? null : Exceptions.peel(cause);
      endLogIfNotSent(derived, aggregated, failure);
      if (failure != null) {
        outcome.completeExceptionally(failure);
      } else if (retryableStatuses.contains(aggregated.status().code())) {
        outcome.completeExceptionally(new InvalidHttpResponseException(aggregated, "attempt " + attempt + " of "
            + ctx.method() + " " + ctx.path() + " to " + guard.downstream() + " got " + aggregated.status(), null));
      } else {
        outcome.complete(new Answer(aggregated, derived.log()));
      }
      return null;
    });
    outcome.whenComplete((value, error) -> {
      if (outcome.isCancelled()) { // the attempt's budget ended, or the caller left: stop its request
        sent.abort();
        derived.cancel();
      }
    });
    return outcome;
  }

  /**
   * Makes the attempt's ctx current whenever Armeria pushes {@code derived} later (callbacks of the
   * attempt's response, decorators resumed on an event loop), where nothing else would: what runs there
   * for the attempt sees the attempt's ctx. Hooks run in the order added, so this one is attached on top
   * of any hook inherited from the caller's context.
   */
  @SuppressWarnings("MustBeClosedChecker") // Armeria closes what the hook returns when it pops the context
  private static void attachWhenPushed(ClientRequestContext derived, Context attemptContext) {
    derived.hook(() -> RequestCtx.attach(attemptContext));
  }

  /** The first attempt goes where the caller's context was routed; retries ask its endpoint group again. */
  private @Nullable Endpoint endpointFor(int attempt) {
    EndpointGroup group = ctx.endpointGroup();
    if (attempt > 1 && group != null) {
      Endpoint selected = group.selectNow(ctx);
      if (selected != null) {
        return selected;
      }
    }
    return ctx.endpoint();
  }

  private Answer degraded(Fallback<AggregatedHttpResponse> recover, StopReason reason,
      Throwable failure) throws Exception {
    AggregatedHttpResponse value = recover.recover(reason, failure);
    if (value == null) {
      throw new NullPointerException("the fallback for " + ctx.method() + " " + ctx.path() + " returned null");
    }
    return new Answer(AggregatedHttpResponse.of(
        value.headers().toBuilder().set(ResilienceClient.DEGRADED, reason.name().toLowerCase(Locale.ROOT)).build(),
        value.content(), value.trailers()), null);
  }

  private void finish(@Nullable Answer answer, @Nullable Throwable error) {
    if (error == null && answer != null) {
      if (answer.attemptLog() != null) {
        ctx.logBuilder().endResponseWithChild(answer.attemptLog()); // a hedge may have answered before the last one
      } else {
        endLog(answer.response(), null);
      }
      response.complete(answer.response().toHttpResponse());
      return;
    }
    Throwable failure = Exceptions.peel(error == null ? new IllegalStateException("no response") : error);
    if (failure instanceof InvalidHttpResponseException invalid
        && retryableStatuses.contains(invalid.response().status().code())) {
      // The attempts ended on a retryable status: the caller sees that response as it came.
      endLog(invalid.response(), null);
      response.complete(invalid.response().toHttpResponse());
      return;
    }
    fail(failure);
  }

  private void fail(Throwable failure) {
    if (!response.isDone()) {
      endLog(null, failure);
      response.completeExceptionally(failure);
    }
  }

  private @Nullable Void stop() {
    CompletableFuture<?> attempts = running;
    if (attempts != null) {
      attempts.cancel(true);
    }
    return null;
  }

  /** The caller's log: the wire's story when attempts were made (the last one), else what we answered. */
  private void endLog(@Nullable AggregatedHttpResponse value, @Nullable Throwable failure) {
    RequestLogBuilder log = ctx.logBuilder();
    if (attemptsStarted.get() > 0) {
      log.endResponseWithLastChild();
      return;
    }
    end(log, value, failure);
  }

  /** An attempt's response (or the fallback's), with the log of the attempt that produced it (null: the fallback). */
  record Answer(AggregatedHttpResponse response, @Nullable RequestLogAccess attemptLog) {}

  /** A request the transport never saw (rejected by a decorator, or failed early) has its log ended here. */
  private static void endLogIfNotSent(ClientRequestContext derived, @Nullable AggregatedHttpResponse value,
      @Nullable Throwable failure) {
    if (derived.log().isAvailable(RequestLogProperty.REQUEST_FIRST_BYTES_TRANSFERRED_TIME)) {
      return;
    }
    end(derived.logBuilder(), value, failure);
  }

  /** Ends a log that no transport wrote: with the failure, or with the answer's headers. */
  private static void end(RequestLogBuilder log, @Nullable AggregatedHttpResponse value, @Nullable Throwable failure) {
    if (failure != null) {
      log.endRequest(failure);
      log.endResponse(failure);
    } else {
      log.endRequest();
      if (value != null) {
        log.responseHeaders(value.headers());
      }
      log.endResponse();
    }
  }
}
