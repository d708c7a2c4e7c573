package io.reqctx.grpc;

import io.grpc.Status;
import io.reqctx.Outcome;
import io.reqctx.Rejection;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The mapping between reqctx verdicts and grpc statuses, in one place for both interceptors. */
final class GrpcStatuses {
  private GrpcStatuses() {}

  static Status of(Rejection rejection) {
    Status status =
        switch (rejection.reason()) {
          case BUDGET_EXHAUSTED -> Status.DEADLINE_EXCEEDED;
          case CANCELLED -> Status.CANCELLED;
          case HOP_LIMIT, TIER_VIOLATION -> Status.FAILED_PRECONDITION;
        };
    return status.withDescription(rejection.message());
  }

  /**
   * The status that ends a call whose scope was cancelled with {@code cause}: {@code DEADLINE_EXCEEDED}
   * for a deadline (whoever fired it), {@code CANCELLED} otherwise; {@code budget} is the call's.
   */
  static Status ofCancellation(Throwable cause, Optional<Duration> budget) {
    if (Outcome.ofCancellation(cause) == Outcome.DEADLINE_EXCEEDED) {
      String message = cause.getMessage();
      return Status.DEADLINE_EXCEEDED.withDescription(message != null && message.startsWith("reqctx:")
          ? oneLine(message)
          : "reqctx: deadline exceeded: the call's budget of " + budget.map(b -> b.toMillis() + "ms").orElse("none")
              + " ran out");
    }
    return Status.CANCELLED.withDescription("reqctx: the request was cancelled: " + oneLine(cause.getMessage()));
  }

  static Outcome outcomeOf(Status.Code code) {
    return switch (code) {
      case OK -> Outcome.OK;
      case DEADLINE_EXCEEDED -> Outcome.DEADLINE_EXCEEDED;
      case CANCELLED -> Outcome.CANCELLED;
      default -> Outcome.ERROR;
    };
  }

  private static String oneLine(@Nullable String message) {
    if (message == null) {
      return "no detail";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
