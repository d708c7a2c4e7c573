package io.reqctx.resilience4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.resilience4j.AttemptTimeoutException;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Fallback;
import io.reqctx.resilience4j.GuardedResult;
import io.reqctx.resilience4j.RetryStoppedException;
import io.reqctx.resilience4j.StopReason;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A unary call run as guarded attempts: the request is kept until {@code halfClose}, then each attempt
 * is a fresh call on the next channel, started with the attempt's ctx current. The application's
 * listener sees one outcome: the successful attempt's response, the fallback's response, or the last
 * failure's status.
 */
final class GuardedUnaryCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  private final DownstreamGuard guard;
  private final @Nullable Fallback<RespT> fallback;
  private final Context callerContext;
  private final Executor deliveries;
  private final AtomicBoolean delivered = new AtomicBoolean();

  private @Nullable Listener<RespT> listener;
  private @Nullable Metadata headers;
  private @Nullable ReqT request;
  private volatile @Nullable CompletableFuture<?> running;
  private volatile boolean cancelled;

  GuardedUnaryCall(MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next, DownstreamGuard guard,
      @Nullable Fallback<RespT> fallback, Context callerContext) {
    this.method = method;
    this.callOptions = callOptions;
    this.next = next;
    this.guard = guard;
    this.fallback = fallback;
    this.callerContext = callerContext;
    // Blocking stubs wait on the executor of their call options: deliver through it so they wake up.
    Executor executor = callOptions.getExecutor();
    this.deliveries = executor != null ? executor : Runnable::run;
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata headers) {
    this.listener = responseListener;
    this.headers = headers;
  }

  @Override
  public void request(int numMessages) {
    // A unary call has one response; it is delivered when the guarded attempts end.
  }

  @Override
  public void sendMessage(ReqT message) {
    if (request != null) {
      throw new IllegalStateException("unary call to " + method.getFullMethodName() + " got a second request message");
    }
    request = message;
  }

  @Override
  public void halfClose() {
    ReqT message = request;
    if (listener == null || message == null) {
      throw new IllegalStateException("halfClose() on a unary call to " + method.getFullMethodName()
          + " before start() and sendMessage()");
    }
    // running holds the guard's own future (not a stage derived from it): cancelling it stops the attempts.
    CompletableFuture<?> result;
    try (Scope ignored = callerContext.makeCurrent()) {
      if (fallback != null) {
        CompletableFuture<GuardedResult<Response<RespT>>> guarded =
            guard.callAsync(() -> attempt(message), this::fallbackResponse).toCompletableFuture();
        guarded.whenComplete((r, error) -> finish(r == null ? null : r.value(), error));
        result = guarded;
      } else {
        CompletableFuture<Response<RespT>> plain = guard.callAsync(() -> attempt(message)).toCompletableFuture();
        plain.whenComplete(this::finish);
        result = plain;
      }
    }
    running = result;
    if (cancelled) { // cancel() ran on another thread before running was set
      result.cancel(true);
    }
  }

  @Override
  public void cancel(@Nullable String message, @Nullable Throwable cause) {
    cancelled = true;
    CompletableFuture<?> result = running;
    if (result != null) {
      result.cancel(true);
    }
    deliver(Status.CANCELLED.withDescription(message).withCause(cause), new Metadata(), null, null);
  }

  @Override
  public boolean isReady() {
    return listener != null;
  }

  /** One attempt: a new call on the next channel, created while the attempt's ctx is current. */
  private CompletionStage<Response<RespT>> attempt(ReqT message) {
    ClientCall<ReqT, RespT> call = next.newCall(method, callOptions);
    CompletableFuture<Response<RespT>> outcome = new CompletableFuture<>();
    Metadata attemptHeaders = new Metadata();
    attemptHeaders.merge(headers);
    call.start(new Listener<>() {
      private @Nullable Metadata responseHeaders;
      private @Nullable RespT response;

      @Override
      public void onHeaders(Metadata responseHeaders) {
        this.responseHeaders = responseHeaders;
      }

      @Override
      public void onMessage(RespT message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        RespT value = response;
        if (status.isOk() && value != null) {
          outcome.complete(new Response<>(responseHeaders == null ? new Metadata() : responseHeaders, value, trailers));
        } else if (status.isOk()) {
          outcome.completeExceptionally(Status.INTERNAL
              .withDescription("unary call to " + method.getFullMethodName() + " ended without a response")
              .asRuntimeException(trailers));
        } else {
          outcome.completeExceptionally(status.asRuntimeException(trailers));
        }
      }
    }, attemptHeaders);
    outcome.whenComplete((r, e) -> {
      if (outcome.isCancelled()) {
        call.cancel("reqctx: the attempt was stopped", null);
      }
    });
    call.request(2); // a second message would be a protocol error the transport reports
    call.sendMessage(message);
    call.halfClose();
    return outcome;
  }

  private Response<RespT> fallbackResponse(StopReason reason, Throwable failure) throws Exception {
    Metadata marked = new Metadata();
    marked.put(ResilienceClientInterceptor.DEGRADED, reason.name().toLowerCase(Locale.ROOT));
    return new Response<>(marked, fallback.recover(reason, failure), new Metadata());
  }

  private void finish(@Nullable Response<RespT> response, @Nullable Throwable error) {
    if (error == null && response != null) {
      deliver(Status.OK, response.trailers(), response.headers(), response.message());
      return;
    }
    Throwable failure = unwrap(error);
    deliver(statusOf(failure), trailersOf(failure), null, null);
  }

  private void deliver(Status status, Metadata trailers, @Nullable Metadata responseHeaders, @Nullable RespT message) {
    Listener<RespT> target = listener;
    if (target == null || !delivered.compareAndSet(false, true)) {
      return;
    }
    deliveries.execute(() -> {
      if (responseHeaders != null) {
        target.onHeaders(responseHeaders);
      }
      if (message != null) {
        target.onMessage(message);
      }
      target.onClose(status, trailers);
    });
  }

  private static Throwable unwrap(@Nullable Throwable error) {
    Throwable t = error == null ? new IllegalStateException("no response") : error;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static Status statusOf(Throwable failure) {
    Status status;
    if (failure instanceof StatusRuntimeException || failure instanceof StatusException) {
      status = Status.fromThrowable(failure);
    } else if (failure instanceof AttemptTimeoutException) {
      status = Status.DEADLINE_EXCEEDED.withDescription(failure.getMessage());
    } else if (failure instanceof RetryStoppedException stop) {
      status = (stop.reason() == StopReason.DEADLINE_BUDGET ? Status.DEADLINE_EXCEEDED
          : stop.reason() == StopReason.CANCELLED ? Status.CANCELLED : Status.UNAVAILABLE)
          .withDescription(stop.getMessage());
      return status.withCause(failure);
    } else if (failure instanceof CancellationException) {
      status = Status.CANCELLED.withDescription(failure.getMessage());
    } else {
      status = Status.fromThrowable(failure);
    }
    RetryStoppedException stop = RetryStoppedException.of(failure).orElse(null);
    return (stop == null ? status : status.augmentDescription(stop.getMessage())).withCause(failure);
  }

  private static Metadata trailersOf(Throwable failure) {
    Metadata trailers = Status.trailersFromThrowable(failure);
    return trailers != null ? trailers : new Metadata();
  }

  /** What one successful attempt (or the fallback) produced. */
  record Response<RespT>(Metadata headers, RespT message, Metadata trailers) {}
}
