package io.reqctx.armeria;

import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.common.util.Exceptions;
import com.linecorp.armeria.server.RequestTimeoutException;
import io.grpc.Status;
import io.reqctx.DeadlineExceededException;
import io.reqctx.RequestCtx;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import io.reqctx.internal.wire.WireHeaders;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** The mapping between reqctx verdicts, failures and HTTP statuses, in one place for both decorators. */
final class HttpOutcomes {
  /** RFC 5842 Loop Detected: the hop limit stops a call loop. */
  static final HttpStatus LOOP_DETECTED = HttpStatus.valueOf(508);
  /** nginx's Client Closed Request: the caller left before the response, so nobody reads it. */
  static final HttpStatus CLIENT_CLOSED_REQUEST = HttpStatus.valueOf(499);

  private HttpOutcomes() {}

  /** The response for a request refused before the service ran. */
  static HttpResponse rejected(Rejection rejection, String requestId) {
    HttpStatus status =
        switch (rejection.reason()) {
          case BUDGET_EXHAUSTED -> HttpStatus.GATEWAY_TIMEOUT;
          case CANCELLED -> CLIENT_CLOSED_REQUEST;
          case HOP_LIMIT -> LOOP_DETECTED;
          case TIER_VIOLATION -> HttpStatus.INTERNAL_SERVER_ERROR;
        };
    return text(status, rejection.message(), requestId);
  }

  /** A plain-text one-line response that quotes the request id. */
  static HttpResponse text(HttpStatus status, String line, String requestId) {
    ResponseHeaders headers =
        ResponseHeaders.builder(status)
            .contentType(MediaType.PLAIN_TEXT_UTF_8)
            .set(WireHeaders.REQUEST_ID, requestId)
            .build();
    return HttpResponse.of(headers, com.linecorp.armeria.common.HttpData.ofUtf8(line + "\n"));
  }

  /**
   * The response for a service that failed with {@code cause} before its response started: {@code 504}
   * when the budget ran out ({@link #isDeadline}, or the request's ctx was cancelled by its deadline),
   * {@code 499} when the request was cancelled because its caller left ({@code ctx} cancelled, or the
   * failure is a cancellation), the failure itself otherwise.
   */
  static HttpResponse recover(Throwable cause, RequestCtx ctx, Supplier<String> deadlineMessage, String requestId) {
    Outcome cancelled = Outcome.ofCancellation(ctx.cancellationCause());
    if (isDeadline(cause) || cancelled == Outcome.DEADLINE_EXCEEDED) {
      return text(HttpStatus.GATEWAY_TIMEOUT, deadlineMessage.get(), requestId);
    }
    if (cancelled == Outcome.CANCELLED || isCancellation(cause)) {
      return text(CLIENT_CLOSED_REQUEST, "reqctx: the request was cancelled: its caller left (request " + requestId + ")",
          requestId);
    }
    return HttpResponse.ofFailure(cause);
  }

  /** Whether {@code cause} is a call cancelled under the service: a gRPC {@code CANCELLED}, a refused cancelled call. */
  static boolean isCancellation(Throwable cause) {
    Throwable peeled = Exceptions.peel(cause);
    if (peeled instanceof RejectedCallException rejected) {
      return rejected.rejection().reason() == Rejection.Reason.CANCELLED;
    }
    return peeled instanceof java.util.concurrent.CancellationException
        || Status.fromThrowable(peeled).getCode() == Status.Code.CANCELLED;
  }

  /**
   * Whether {@code cause} means "the budget ran out": Armeria's request timeout (set to the ctx
   * deadline), the scope's own deadline, an outgoing call's response timeout (set to its budget), a
   * call not sent for lack of budget, or a gRPC {@code DEADLINE_EXCEEDED}.
   */
  static boolean isDeadline(@Nullable Throwable cause) {
    if (cause == null) {
      return false;
    }
    Throwable peeled = Exceptions.peel(cause);
    if (peeled instanceof RequestTimeoutException
        || peeled instanceof ResponseTimeoutException
        || peeled instanceof DeadlineExceededException
        || peeled instanceof TimeoutException) {
      return true;
    }
    if (peeled instanceof RejectedCallException rejected) {
      return rejected.rejection().reason() == Rejection.Reason.BUDGET_EXHAUSTED;
    }
    return Status.fromThrowable(peeled).getCode() == Status.Code.DEADLINE_EXCEEDED;
  }

  /** The outcome of an exchange from its complete log and the state of the ctx it ran in. */
  static Outcome outcomeOf(RequestLog log, RequestCtx ctx) {
    Throwable cause = log.responseCause();
    int status = log.responseHeaders().status().code();
    if (status == HttpStatus.GATEWAY_TIMEOUT.code() || isDeadline(cause)) {
      return Outcome.DEADLINE_EXCEEDED;
    }
    if (status == CLIENT_CLOSED_REQUEST.code()
        || (cause != null && (ctx.isCancelled() || Exceptions.isStreamCancelling(cause)))) {
      return Outcome.CANCELLED;
    }
    if (cause != null || status >= 500 || status == 0) {
      return Outcome.ERROR;
    }
    return Outcome.OK;
  }
}
