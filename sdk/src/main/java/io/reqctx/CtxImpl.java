package io.reqctx;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/** The one {@link RequestCtx} implementation: immutable fields plus a shared cancellation state. */
final class CtxImpl implements RequestCtx {
  static final ContextKey<RequestCtx> CONTEXT_KEY = ContextKey.named("io.reqctx.RequestCtx");
  private static final Object[] NO_VALUES = new Object[0];

  static final CtxImpl ROOT =
      new CtxImpl("", null, Tier.GATEWAY, 0, 1, SpanContext.getInvalid(), NO_VALUES, Cancellation.NEVER);

  private final String requestId;
  private final @Nullable Deadline deadline;
  private final Tier tier;
  private final int hopCount;
  private final int attempt;
  private final SpanContext spanContext;
  // Alternating key, value pairs: a copy per with(), a linear identity scan per get() — fastest for
  // the handful of keys a request carries.
  private final Object[] values;
  final Cancellation cancellation;
  // The last context built by makeCurrent(): attaching again on top of the same context reuses it.
  private volatile @Nullable Attached lastAttached;

  private record Attached(Context base, Context withCtx) {}

  CtxImpl(
      String requestId,
      @Nullable Deadline deadline,
      Tier tier,
      int hopCount,
      int attempt,
      SpanContext spanContext,
      Object[] values,
      Cancellation cancellation) {
    this.requestId = requestId;
    this.deadline = deadline;
    this.tier = tier;
    this.hopCount = hopCount;
    this.attempt = attempt;
    this.spanContext = spanContext;
    this.values = values;
    this.cancellation = cancellation;
  }

  static Object[] valuesOf(java.util.List<Object> keyValuePairs) {
    Object[] values = NO_VALUES;
    for (int i = 0; i < keyValuePairs.size(); i += 2) {
      values = put(values, keyValuePairs.get(i), keyValuePairs.get(i + 1));
    }
    return values;
  }

  CtxImpl withCancellation(@Nullable Deadline deadline, Tier tier, SpanContext spanContext, Cancellation c) {
    return new CtxImpl(requestId, deadline, tier, hopCount, attempt, spanContext, values, c);
  }

  Object[] values() {
    return values;
  }

  @Override
  public String requestId() {
    return requestId;
  }

  @Override
  public Optional<Deadline> deadline() {
    return Optional.ofNullable(deadline);
  }

  @Nullable Deadline deadlineOrNull() {
    return deadline;
  }

  @Override
  public Optional<Duration> remainingBudget() {
    return deadline == null ? Optional.empty() : Optional.of(deadline.remaining());
  }

  @Override
  public Tier tier() {
    return tier;
  }

  @Override
  public int hopCount() {
    return hopCount;
  }

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public SpanContext spanContext() {
    return spanContext;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> @Nullable T get(CtxKey<T> key) {
    Object[] v = values;
    for (int i = 0; i < v.length; i += 2) {
      if (v[i] == key) {
        return (T) v[i + 1];
      }
    }
    return null;
  }

  @Override
  public <T> RequestCtx with(CtxKey<T> key, T value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    return new CtxImpl(
        requestId, deadline, tier, hopCount, attempt, spanContext, put(values, key, value), cancellation);
  }

  @Override
  public RequestCtx withAttempt(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be 1 or more, got " + attempt);
    }
    return attempt == this.attempt
        ? this
        : new CtxImpl(requestId, deadline, tier, hopCount, attempt, spanContext, values, cancellation);
  }

  private static Object[] put(Object[] values, Object key, Object value) {
    for (int i = 0; i < values.length; i += 2) {
      if (values[i] == key) {
        Object[] copy = values.clone();
        copy[i + 1] = value;
        return copy;
      }
    }
    Object[] copy = java.util.Arrays.copyOf(values, values.length + 2);
    copy[values.length] = key;
    copy[values.length + 1] = value;
    return copy;
  }

  @Override
  public void forEachValue(BiConsumer<CtxKey<?>, Object> visitor) {
    Object[] v = values;
    for (int i = 0; i < v.length; i += 2) {
      visitor.accept((CtxKey<?>) v[i], v[i + 1]);
    }
  }

  @Override
  public boolean isCancelled() {
    return cancellation.cause() != null;
  }

  @Override
  public @Nullable Throwable cancellationCause() {
    return cancellation.cause();
  }

  @Override
  public CancelRegistration onCancel(CancelListener listener) {
    return cancellation.onCancel(requireNonNull(listener, "listener"));
  }

  @Override
  public RequestCtx detached() {
    if (cancellation == Cancellation.NEVER && deadline == null) {
      return this;
    }
    return new CtxImpl(requestId, null, tier, hopCount, attempt, spanContext, values, Cancellation.NEVER);
  }

  @MustBeClosed
  @Override
  public Scope makeCurrent() {
    Context base = Context.current();
    Attached last = lastAttached;
    Context withCtx;
    if (last != null && last.base() == base) {
      withCtx = last.withCtx();
    } else {
      withCtx = base.with(this);
      lastAttached = new Attached(base, withCtx);
    }
    return Attachments.attach(withCtx);
  }

  @Override
  public Context storeInContext(Context context) {
    return context.with(CONTEXT_KEY, this);
  }

  @Override
  @SuppressWarnings("unchecked")
  public String toString() {
    StringBuilder sb = new StringBuilder("RequestCtx[");
    if (this == ROOT) {
      return sb.append("root]").toString();
    }
    sb.append("id=").append(requestId).append(", tier=").append(tier.name()).append(", hop=").append(hopCount);
    if (attempt > 1) {
      sb.append(", attempt=").append(attempt);
    }
    sb.append(", deadline=").append(deadline == null ? "none" : deadline);
    if (spanContext.isValid()) {
      sb.append(", trace=").append(spanContext.getTraceId());
    }
    for (int i = 0; i < values.length; i += 2) {
      CtxKey<Object> key = (CtxKey<Object>) values[i];
      sb.append(", ").append(key.name()).append('=').append(key.describe(values[i + 1]));
    }
    Throwable cause = cancellation.cause();
    if (cause != null) {
      sb.append(", cancelled: ").append(cause);
    }
    return sb.append(']').toString();
  }
}
