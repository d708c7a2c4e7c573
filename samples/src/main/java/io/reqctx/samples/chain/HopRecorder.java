package io.reqctx.samples.chain;

import io.grpc.Deadline;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.ImplicitContextKeyed;
import io.reqctx.DeadlineExceededException;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Records one hop while it runs: what budget arrived, what budget the hop sent on (observed by
 * {@link SentBudgetProbe} on the outgoing call), when it saw its request cancelled, and how it ended.
 * A handler opens it first thing and finishes it once; made current (it lives in the OpenTelemetry
 * context, next to reqctx's ctx), it lets the probe find it.
 *
 * <pre>{@code
 * HopRecorder hop = HopRecorder.arrive(Role.CACHE, "reqctx.samples.v1.CacheService/Get", log);
 * int skipped = hop.work(Duration.ofMillis(request.getDelayMs()));
 * Hop done = hop.finish(skipped == 0 ? HopOutcome.HOP_OUTCOME_OK : hop.cancelOutcome(), "");
 * }</pre>
 *
 * <p>The budget that arrived is reqctx's {@link RequestCtx#remainingBudget()} or, on a hop without
 * reqctx, the deadline grpc-java put on the call's {@link io.grpc.Context}. Cancellation is seen
 * through both, so the chain without reqctx is judged fairly.
 */
final class HopRecorder implements ImplicitContextKeyed {
  /** Simulated work runs in steps of this length, and stops at the first step after a cancel. */
  static final Duration WORK_STEP = Duration.ofMillis(20);
  private static final ContextKey<HopRecorder> KEY = ContextKey.named("reqctx-samples-hop");

  private final Role role;
  private final String service;
  private final HopLog log;
  private final RequestCtx ctx;
  private final io.grpc.Context grpcContext;
  private final long startNanos = System.nanoTime();
  private final long receivedMs;
  private final String traceId;
  private final CountDownLatch cancelled = new CountDownLatch(1);
  private final RequestCtx.CancelRegistration ctxCancelled;
  private final io.grpc.Context.CancellationListener grpcCancelled = context -> sawCancel();
  private volatile long cancelSeenNanos = -1;
  private volatile long callStartNanos = -1;
  private volatile long sentBudgetMs;
  private volatile int skippedSteps;

  private HopRecorder(Role role, String service, HopLog log) {
    this.role = role;
    this.service = service;
    this.log = log;
    this.ctx = RequestCtx.current();
    this.grpcContext = io.grpc.Context.current();
    this.receivedMs = receivedBudget(ctx, grpcContext);
    SpanContext span = Span.current().getSpanContext();
    this.traceId = span.isValid() ? span.getTraceId() : "";
    this.ctxCancelled = ctx.onCancel(cause -> sawCancel());
    grpcContext.addListener(grpcCancelled, Runnable::run);
  }

  /** Starts recording the hop of the current request at {@code service}. */
  static HopRecorder arrive(Role role, String service, HopLog log) {
    return new HopRecorder(role, service, log);
  }

  /** The recorder made current with {@link #makeCurrent()}, or null. */
  static @Nullable HopRecorder current() {
    return Context.current().get(KEY);
  }

  @Override
  public Context storeInContext(Context context) {
    return context.with(KEY, this);
  }

  /** Called by {@link SentBudgetProbe}: an outgoing call starts with {@code deadline} (null: none). */
  void callStarted(@Nullable Deadline deadline) {
    callStartNanos = System.nanoTime();
    sentBudgetMs = deadline == null ? 0 : Math.max(0, deadline.timeRemaining(TimeUnit.MILLISECONDS));
  }

  /** Whether an outgoing call left this hop (false when reqctx refused to send it). */
  boolean callSent() {
    return callStartNanos >= 0;
  }

  /** Whether the hop's request was cancelled (by reqctx, or by grpc-java's own call context). */
  boolean isCancelled() {
    return ctx.isCancelled() || grpcContext.isCancelled();
  }

  /** {@code DEADLINE_EXCEEDED} when the request was cancelled by a deadline, otherwise {@code CANCELLED}. */
  HopOutcome cancelOutcome() {
    Throwable cause = ctx.cancellationCause();
    if (cause == null) {
      cause = grpcContext.cancellationCause();
    }
    return cause instanceof DeadlineExceededException || cause instanceof TimeoutException
        ? HopOutcome.HOP_OUTCOME_DEADLINE_EXCEEDED
        : HopOutcome.HOP_OUTCOME_CANCELLED;
  }

  /** The outcome of a failed call, from the point of view of the caller. */
  static HopOutcome outcomeOf(Status status) {
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED -> HopOutcome.HOP_OUTCOME_DEADLINE_EXCEEDED;
      case CANCELLED -> HopOutcome.HOP_OUTCOME_CANCELLED;
      default -> HopOutcome.HOP_OUTCOME_ERROR;
    };
  }

  /**
   * Simulates {@code total} of work in steps of {@link #WORK_STEP}, stopping at once when the request
   * is cancelled; returns the number of steps not done (0 when the work finished).
   */
  int work(Duration total) throws InterruptedException {
    long steps = (total.toMillis() + WORK_STEP.toMillis() - 1) / WORK_STEP.toMillis();
    for (long done = 0; done < steps; done++) {
      if (isCancelled() || cancelled.await(WORK_STEP.toMillis(), TimeUnit.MILLISECONDS)) {
        skippedSteps = (int) (steps - done);
        return skippedSteps;
      }
    }
    return 0;
  }

  /** Ends the hop: builds its {@link Hop}, reports it to the log and returns it. Call once. */
  Hop finish(HopOutcome outcome, String note) {
    long endNanos = System.nanoTime();
    ctxCancelled.remove();
    grpcContext.removeListener(grpcCancelled);
    Hop hop = Hop.newBuilder()
        .setService(service)
        .setTier(role.tier().name())
        .setCapMs((int) role.tier().cap().toMillis())
        .setReceivedBudgetMs((int) receivedMs)
        .setSentBudgetMs((int) sentBudgetMs)
        .setElapsedMs((int) TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos))
        .setOutcome(outcome)
        .setTraceId(traceId)
        .setNote(note)
        .build();
    long seen = cancelSeenNanos;
    log.report(new HopReport(role, ctx.requestId(), hop, startNanos, endNanos,
        seen < 0 ? OptionalLong.empty() : OptionalLong.of(seen), skippedSteps));
    return hop;
  }

  /**
   * The row for a callee that sent no report of its own (cut off or cancelled), written from what
   * this hop saw of the call: the callee's received budget is unknown.
   */
  Hop calleeSeenFromHere(String calleeService, Tier calleeTier, Status status) {
    long start = callStartNanos;
    long elapsedMs = start < 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    return Hop.newBuilder()
        .setService(calleeService)
        .setTier(calleeTier.name())
        .setCapMs((int) calleeTier.cap().toMillis())
        .setElapsedMs((int) elapsedMs)
        .setOutcome(outcomeOf(status))
        .setTraceId(traceId)
        .setNote("no report from the callee; seen by its caller as " + status.getCode())
        .setReportedByCaller(true)
        .build();
  }

  /** The hop's request id (empty without reqctx). */
  String requestId() {
    return ctx.requestId();
  }

  /** The trace the hop ran in (empty without tracing). */
  String traceId() {
    return traceId;
  }

  private void sawCancel() {
    if (cancelSeenNanos < 0) {
      cancelSeenNanos = System.nanoTime();
    }
    cancelled.countDown();
  }

  private static long receivedBudget(RequestCtx ctx, io.grpc.Context grpcContext) {
    Duration remaining = ctx.remainingBudget().orElse(null);
    if (remaining != null) {
      return remaining.toMillis();
    }
    Deadline deadline = grpcContext.getDeadline();
    return deadline == null ? 0 : Math.max(0, deadline.timeRemaining(TimeUnit.MILLISECONDS));
  }
}
