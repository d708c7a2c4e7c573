package io.reqctx;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ImplicitContextKeyed;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The immutable, read-only view of one request: its id, deadline, tier, hop count, attempt, trace,
 * typed values and cancellation. Deriving a value ({@link #with}) returns a new ctx that shares the
 * request's deadline and cancellation. The ctx lives inside OpenTelemetry's {@link Context}, so
 * making it current also keeps the span and baggage that were current.
 *
 * <pre>{@code
 * RequestCtx ctx = RequestCtx.current();             // never null
 * Duration left = ctx.remainingBudget().orElse(null);
 * String tenant = ctx.get(TENANT);
 * try (Scope s = ctx.with(USER, "ada").makeCurrent()) {
 *   if (ctx.isCancelled()) return;
 *   ctx.onCancel(cause -> stopWork());
 * }
 * }</pre>
 *
 * <p>Not for implementation outside reqctx: the owner of a request holds a {@link CancellableCtx}.
 */
public interface RequestCtx extends ImplicitContextKeyed {

  /** The ctx current on this thread, or {@link #root()}; never null. */
  static RequestCtx current() {
    return fromContext(Context.current());
  }

  /** The ctx stored in {@code context}, or {@link #root()}. */
  static RequestCtx fromContext(Context context) {
    RequestCtx ctx = context.get(CtxImpl.CONTEXT_KEY);
    return ctx == null ? CtxImpl.ROOT : ctx;
  }

  /**
   * The ctx outside any request: no deadline, never cancelled, empty request id, no values, and tier
   * {@link Tier#GATEWAY} (work that did not arrive as a request counts as the top of the hierarchy).
   */
  static RequestCtx root() {
    return CtxImpl.ROOT;
  }

  /** The request id ({@code x-request-id} on the wire); empty for {@link #root()}. */
  String requestId();

  /** The deadline, if the request has one. */
  Optional<Deadline> deadline();

  /** The time left before the deadline, never negative; empty when there is no deadline. */
  Optional<Duration> remainingBudget();

  /** The tier of the hop this ctx belongs to. */
  Tier tier();

  /** How many hops the request made before reaching this process (0 at the origin). */
  int hopCount();

  /**
   * The attempt number this request arrived with at this hop: 1 for a first try, more when the caller
   * retried (its {@code reqctx-attempt} header).
   */
  int inboundAttempt();

  /**
   * The attempt number that calls made from this ctx send as {@code reqctx-attempt}: 1, unless a
   * retrying caller set it with {@link #withOutgoingAttempt}. A hop's own calls start again at 1 whatever
   * attempt it was itself.
   */
  int outgoingAttempt();

  /** The span context the request ran in when its scope opened; invalid outside a trace. */
  SpanContext spanContext();

  /** The value of {@code key}, or null. */
  <T> @Nullable T get(CtxKey<T> key);

  /** A ctx with {@code key} set to {@code value}; everything else, cancellation included, is shared. */
  <T> RequestCtx with(CtxKey<T> key, T value);

  /**
   * A ctx whose outgoing calls are attempt {@code attempt} (1 for the first try), as a retrying caller
   * sets it around each try; everything else, {@link #inboundAttempt()} included, is shared.
   */
  RequestCtx withOutgoingAttempt(int attempt);

  /** Visits every value present, each once, in no specified order. */
  void forEachValue(BiConsumer<CtxKey<?>, Object> visitor);

  /**
   * Whether the request was cancelled: its deadline passed, its caller left, its owner cancelled it, or
   * its scope closed (closing ends the request, so it also counts as a cancel).
   */
  boolean isCancelled();

  /** Why the request was cancelled, or null while it is not; stable once set. */
  @Nullable Throwable cancellationCause();

  /**
   * Runs {@code listener} once when the request is cancelled, at once if it already is. Closing the
   * scope counts: a listener still registered then runs with the scope-closed cause, so remove
   * listeners whose work is done. Listeners run on the cancelling thread and must not block.
   */
  CancelRegistration onCancel(CancelListener listener);

  /**
   * A ctx with the same values, id, tier and trace but no deadline and no cancellation, for work that
   * must outlive the request (an audit log flush, a cache refill).
   */
  RequestCtx detached();

  /**
   * Makes this ctx current together with whatever else is in the current OpenTelemetry context, and
   * puts {@code trace_id}, {@code span_id} and {@code request_id} into the SLF4J MDC until closed.
   * Close the returned scope on the same thread, in reverse order of attaching: a close on another
   * thread throws {@link IllegalStateException}, is reported as a leak, and detaches nothing (the
   * close on the attaching thread still does).
   */
  @MustBeClosed
  @Override
  default Scope makeCurrent() {
    return attach(Context.current().with(this));
  }

  /**
   * Makes {@code context} (and the ctx it holds) current the way {@link #makeCurrent()} does, with the
   * MDC and the leak checks: what transports use to attach a context that also carries their span.
   */
  @MustBeClosed
  static Scope attach(Context context) {
    return Attachments.attach(java.util.Objects.requireNonNull(context, "context"));
  }

  /** Receives the cause when a request is cancelled. */
  @FunctionalInterface
  interface CancelListener {
    void cancelled(Throwable cause);
  }

  /** A listener registered with {@link #onCancel}. */
  @FunctionalInterface
  interface CancelRegistration {
    /** Removes the listener; true when it had not run and now never will. */
    boolean remove();
  }
}
