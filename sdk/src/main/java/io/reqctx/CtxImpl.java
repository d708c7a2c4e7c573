package io.reqctx;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The one {@link RequestCtx} implementation. What {@link #with} copies is kept small: the fields of
 * the request live in a shared {@link Request}, and the values in a {@link Values} — so a derived
 * ctx costs one small object plus the values array.
 */
final class CtxImpl implements RequestCtx {
  static final ContextKey<RequestCtx> CONTEXT_KEY = ContextKey.named("io.reqctx.RequestCtx");

  static final CtxImpl ROOT = new CtxImpl(
      new Request("", null, Tier.GATEWAY, 0, 1, 1, SpanContext.getInvalid(), Cancellation.NEVER), Values.EMPTY);

  /** What every ctx of one request (or one attempt of it) shares. */
  record Request(
      String requestId,
      @Nullable Deadline deadline,
      Tier tier,
      int hopCount,
      int inboundAttempt,
      int outgoingAttempt,
      SpanContext spanContext,
      Cancellation cancellation) {}

  private final Request request;
  private final Values values;
  // Context.root() with this ctx, built by the first makeCurrent() over the root context (the usual case
  // on a pool thread) and reused by later ones. Only the root is cached: caching any other base would
  // keep that context, and whatever request it belongs to, reachable for as long as this ctx lives.
  private volatile @Nullable Context onRoot;

  CtxImpl(Request request, Values values) {
    this.request = request;
    this.values = values;
  }

  static Values valuesOf(List<Object> keyValuePairs) {
    Values values = Values.EMPTY;
    for (int i = 0; i < keyValuePairs.size(); i += 2) {
      values = values.with((CtxKey<?>) keyValuePairs.get(i), keyValuePairs.get(i + 1));
    }
    return values;
  }

  Values values() {
    return values;
  }

  Cancellation cancellation() {
    return request.cancellation();
  }

  @Override
  public String requestId() {
    return request.requestId();
  }

  @Override
  public Optional<Deadline> deadline() {
    return Optional.ofNullable(request.deadline());
  }

  @Nullable Deadline deadlineOrNull() {
    return request.deadline();
  }

  @Override
  public Optional<Duration> remainingBudget() {
    Deadline deadline = request.deadline();
    return deadline == null ? Optional.empty() : Optional.of(deadline.remaining());
  }

  @Override
  public Tier tier() {
    return request.tier();
  }

  @Override
  public int hopCount() {
    return request.hopCount();
  }

  @Override
  public int inboundAttempt() {
    return request.inboundAttempt();
  }

  @Override
  public int outgoingAttempt() {
    return request.outgoingAttempt();
  }

  @Override
  public SpanContext spanContext() {
    return request.spanContext();
  }

  @Override
  public <T> @Nullable T get(CtxKey<T> key) {
    return values.get(key);
  }

  @Override
  public <T> RequestCtx with(CtxKey<T> key, T value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    return new CtxImpl(request, values.with(key, value));
  }

  @Override
  public RequestCtx withOutgoingAttempt(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be 1 or more, got " + attempt);
    }
    Request r = request;
    return attempt == r.outgoingAttempt()
        ? this
        : new CtxImpl(new Request(r.requestId(), r.deadline(), r.tier(), r.hopCount(), r.inboundAttempt(), attempt,
            r.spanContext(), r.cancellation()), values);
  }

  @Override
  public void forEachValue(BiConsumer<CtxKey<?>, Object> visitor) {
    values.forEach(visitor);
  }

  @Override
  public boolean isCancelled() {
    return request.cancellation().cause() != null;
  }

  @Override
  public @Nullable Throwable cancellationCause() {
    return request.cancellation().cause();
  }

  @Override
  public CancelRegistration onCancel(CancelListener listener) {
    return request.cancellation().onCancel(requireNonNull(listener, "listener"));
  }

  @Override
  public RequestCtx detached() {
    Request r = request;
    if (r.cancellation() == Cancellation.NEVER && r.deadline() == null) {
      return this;
    }
    return new CtxImpl(
        new Request(r.requestId(), null, r.tier(), r.hopCount(), r.inboundAttempt(), r.outgoingAttempt(), r.spanContext(),
            Cancellation.NEVER),
        values);
  }

  @MustBeClosed
  @Override
  public Scope makeCurrent() {
    Context base = Context.current();
    Context withCtx;
    if (base == Context.root()) {
      withCtx = onRoot;
      if (withCtx == null) {
        withCtx = base.with(this);
        onRoot = withCtx;
      }
    } else {
      withCtx = base.with(this);
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
    if (this == ROOT) {
      return "RequestCtx[root]";
    }
    Request r = request;
    StringBuilder sb = new StringBuilder("RequestCtx[id=").append(r.requestId())
        .append(", tier=").append(r.tier().name()).append(", hop=").append(r.hopCount());
    if (r.inboundAttempt() > 1) {
      sb.append(", attempt=").append(r.inboundAttempt());
    }
    if (r.outgoingAttempt() > 1) {
      sb.append(", outgoing attempt=").append(r.outgoingAttempt());
    }
    sb.append(", deadline=").append(r.deadline() == null ? "none" : r.deadline());
    if (r.spanContext().isValid()) {
      sb.append(", trace=").append(r.spanContext().getTraceId());
    }
    values.forEach((key, value) -> sb.append(", ").append(key.name()).append('=')
        .append(((CtxKey<Object>) key).describe(value)));
    Throwable cause = r.cancellation().cause();
    if (cause != null) {
      sb.append(", cancelled: ").append(cause);
    }
    return sb.append(']').toString();
  }
}
