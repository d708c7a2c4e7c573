package io.reqctx.bench;

import io.grpc.Context;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Cost of arming and disarming one deadline alarm (open + close a scope with a deadline) while
 * {@code inFlight} other scopes with deadlines are open, for reqctx and for io.grpc.Context's
 * {@code withDeadlineAfter} + {@code cancel}. Both use one timer thread with remove-on-cancel, as
 * reqctx's system ticker and grpc-java's shared timer do.
 *
 * <p>In-flight deadlines are spread over 30..60 minutes (none fires during a run) and the measured
 * one is 45 minutes, so each arm and disarm sifts through the middle of the timer's heap rather than
 * appending at its end.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DeadlineScaleBench {
  private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);

  @Param({"1000", "10000", "100000"})
  public int inFlight;

  private CancellableCtx[] reqctxInFlight;
  private Context.CancellableContext[] grpcInFlight;
  private ScheduledThreadPoolExecutor grpcTimer;
  private CancellableCtx parentScope;
  private RequestCtx parentCtx;
  private Context.CancellableContext grpcParent;

  private Duration budget;
  private long budgetNanos;
  private String requestId;

  @Setup(Level.Trial)
  public void setUp() {
    budget = Duration.ofMinutes(45);
    budgetNanos = budget.toNanos();
    requestId = "0123456789abcdef0123456789abcdef";
    grpcTimer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "grpc-baseline-timer");
      t.setDaemon(true);
      return t;
    });
    grpcTimer.setRemoveOnCancelPolicy(true);

    SplittableRandom random = new SplittableRandom(42);
    reqctxInFlight = new CancellableCtx[inFlight];
    grpcInFlight = new Context.CancellableContext[inFlight];
    for (int i = 0; i < inFlight; i++) {
      long nanos = 30 * MINUTE_NANOS + random.nextLong(30 * MINUTE_NANOS);
      reqctxInFlight[i] =
          CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofNanos(nanos)).requestId(requestId).open();
      grpcInFlight[i] = Context.ROOT.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS, grpcTimer);
    }
    parentScope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofHours(1)).requestId(requestId).open();
    parentCtx = parentScope.ctx();
    grpcParent = Context.ROOT.withDeadlineAfter(1, TimeUnit.HOURS, grpcTimer);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (CancellableCtx s : reqctxInFlight) {
      s.close();
    }
    for (Context.CancellableContext c : grpcInFlight) {
      c.cancel(null);
    }
    parentScope.close();
    grpcParent.cancel(null);
    grpcTimer.shutdownNow();
  }

  /** A transport's inbound path: a root scope with a deadline and a known request id. */
  @Benchmark
  public void openCloseRoot_reqctx(Blackhole bh) {
    CancellableCtx s = CancellableCtx.newRoot(Tier.SERVICE).budget(budget).requestId(requestId).open();
    bh.consume(s.ctx());
    s.close();
  }

  /** Same, letting reqctx generate the request id (what happens when none arrived). */
  @Benchmark
  public void openCloseRootGeneratedId_reqctx(Blackhole bh) {
    CancellableCtx s = CancellableCtx.newRoot(Tier.SERVICE).budget(budget).open();
    bh.consume(s.ctx());
    s.close();
  }

  @Benchmark
  public void openCloseRoot_grpc(Blackhole bh) {
    Context.CancellableContext c = Context.ROOT.withDeadlineAfter(budgetNanos, TimeUnit.NANOSECONDS, grpcTimer);
    bh.consume(c);
    c.cancel(null);
  }

  /** A child with its own, earlier deadline under a parent with a deadline (both arm an alarm). */
  @Benchmark
  public void openCloseChild_reqctx(Blackhole bh) {
    CancellableCtx s = CancellableCtx.childOf(parentCtx, budget);
    bh.consume(s.ctx());
    s.close();
  }

  @Benchmark
  public void openCloseChild_grpc(Blackhole bh) {
    Context.CancellableContext c = grpcParent.withDeadlineAfter(budgetNanos, TimeUnit.NANOSECONDS, grpcTimer);
    bh.consume(c);
    c.cancel(null);
  }
}
