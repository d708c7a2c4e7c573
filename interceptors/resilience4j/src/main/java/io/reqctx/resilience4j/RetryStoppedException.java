package io.reqctx.resilience4j;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Says why a guarded call stopped. It is thrown when not even the first attempt could be made (the
 * budget was too small, the breaker was open); when attempts were made, the last attempt's failure is
 * thrown unchanged and carries this exception as a {@linkplain Throwable#getSuppressed() suppressed}
 * note, so callers keep catching the exceptions they know.
 *
 * <pre>{@code
 * try {
 *   retry.call(() -> stub.get(request));
 * } catch (StatusRuntimeException e) {
 *   RetryStoppedException.of(e).ifPresent(stop -> log.info("gave up: {}", stop.getMessage()));
 * }
 * }</pre>
 */
public final class RetryStoppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final StopReason reason;
  private final int attempts;

  RetryStoppedException(StopReason reason, int attempts, String message, @Nullable Throwable cause) {
    super(requireNonNull(message, "message"), cause, false, false);
    this.reason = requireNonNull(reason, "reason");
    this.attempts = attempts;
  }

  /** Why the call stopped. */
  public StopReason reason() {
    return reason;
  }

  /** How many attempts were made (0 when none could start). */
  public int attempts() {
    return attempts;
  }

  /** {@code failure} itself when it is one, else the note attached to it as suppressed, if any. */
  public static Optional<RetryStoppedException> of(Throwable failure) {
    requireNonNull(failure, "failure");
    if (failure instanceof RetryStoppedException stop) {
      return Optional.of(stop);
    }
    for (Throwable suppressed : failure.getSuppressed()) {
      if (suppressed instanceof RetryStoppedException stop) {
        return Optional.of(stop);
      }
    }
    return Optional.empty();
  }
}
