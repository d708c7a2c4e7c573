package io.reqctx.bench.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.BudgetPolicy;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency distributions across three gRPC hops on loopback Netty (caller → A → B → C, separate
 * servers and channels in one JVM, so one {@link System#nanoTime} clock times every hop):
 *
 * <ol>
 *   <li><b>cancel</b> — the caller cancels after the leaf C has started; time until C's cancellation
 *       listener runs. <b>deadline-cancel</b> — the caller's deadline passes instead; time from that
 *       deadline until C's listener runs (negative: C was cancelled before the caller's deadline, by
 *       its own smaller budget).
 *   <li><b>deadline</b> — C hangs; time from the caller's deadline until DEADLINE_EXCEEDED reaches the
 *       caller (negative: earlier). For reqctx also against the deadline reqctx put on the caller's
 *       outgoing call (budget minus reserve), which is the timer's own precision.
 *   <li><b>work-after</b> — C works in 100 µs busy steps for {@code WORK_MS}, checking for cancellation
 *       between steps; wall and CPU time C keeps working after the caller's deadline.
 * </ol>
 *
 * <p>Modes: {@code reqctx} (reqctx interceptors on every hop, the handlers call on in the request's
 * context); {@code grpc} (bare grpc-java: the handlers call on inside the server call's
 * {@code io.grpc.Context}, so grpc-java itself carries the deadline and the cancellation); {@code
 * static} (the samples' {@code --static-timeouts} baseline: each hop calls the next with a fixed 2 s
 * timeout and outside the caller's context, as across an HTTP hop or an executor that does not carry
 * it); {@code reqctx_adaptive} (reqctx with {@link BudgetPolicy.Builder#adaptiveReserve adaptive
 * reserves}, 0.1 ms to 20 ms, taught by 300 calls the leaf answers at once after the cancel runs and
 * before the deadline runs; it reserves each hop's p99 transit, so it is early by their sum).
 * Every mode's chain is started and warmed with as many unmeasured cancel runs as are measured, and
 * the measured cancel runs then alternate between the modes in blocks of a tenth: measured one mode
 * after the other, the mode measured first in the JVM had the worst tail whichever it was (reqctx's
 * p99 fell from 4.5 ms to 1.6 ms when the same mode ran again, grpc's from 3.2 ms to 1.1 ms).
 * Usage: {@code ChainLatency quick|full|smoke [mode,mode...]} (smoke: a handful of calls, to prove the
 * harness runs); prints one table per experiment.
 */
public final class ChainLatency {
  static final MethodDescriptor<String, String> HOP = GrpcStacks.unary("bench.Chain/Hop");
  static final Duration STATIC_TIMEOUT = Duration.ofSeconds(2);
  static final long DEADLINE_MS = 100;
  static final long WORK_DEADLINE_MS = 50;
  static final long WORK_MS = 300;
  static final long STEP_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  enum Mode {
    REQCTX, REQCTX_ADAPTIVE, GRPC, STATIC;

    boolean reqctx() {
      return this == REQCTX || this == REQCTX_ADAPTIVE;
    }
  }

  /** The adaptive reserve's bounds in {@code reqctx_adaptive} mode. */
  static final BudgetPolicy ADAPTIVE = BudgetPolicy.builder()
      .adaptiveReserve(Duration.ofNanos(100_000), Duration.ofMillis(20)).build();

  /** What the leaf saw of one request; the caller reads it once the leaf is done. */
  static final class Probe {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch done = new CountDownLatch(1);
    volatile long cancelObservedNanos;
    volatile long callerDeadlineNanos = Long.MAX_VALUE; // work-after: when the caller's deadline passes
    volatile long workEndNanos;
    volatile long wallAfterNanos;
    volatile long cpuAfterNanos;
    volatile boolean completed;
  }

  static final Map<String, Probe> PROBES = new ConcurrentHashMap<>();
  static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  static final ThreadLocal<Long> OUTGOING_DEADLINE = new ThreadLocal<>();
  static final AtomicInteger IDS = new AtomicInteger();

  private final Mode mode;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final Channel top;

  ChainLatency(Mode mode) {
    this.mode = mode;
    OpenTelemetry otel = OpenTelemetry.noop(); // spans off: the timing, not the export, is measured
    Server c = server(GrpcStacks.service(HOP, (request, responses) -> leaf(mode, request, responses)),
        serverInterceptor(Tier.CACHE, otel));
    Channel toC = client(c, Tier.CACHE, otel);
    Server b = server(GrpcStacks.service(HOP, (request, responses) -> forward(mode, toC, request, responses)),
        serverInterceptor(Tier.SERVICE, otel));
    Channel toB = client(b, Tier.SERVICE, otel);
    Server a = server(GrpcStacks.service(HOP, (request, responses) -> forward(mode, toB, request, responses)),
        serverInterceptor(Tier.SERVICE, otel));
    top = client(a, Tier.SERVICE, otel);
  }

  private ServerInterceptor[] serverInterceptor(Tier tier, OpenTelemetry otel) {
    return !mode.reqctx() ? new ServerInterceptor[0] : new ServerInterceptor[] {
        RequestCtxServerInterceptor.create(ServerConfig.builder(tier, Trust.TRUSTED).policy(policy()).openTelemetry(otel).build())};
  }

  private BudgetPolicy policy() {
    return mode == Mode.REQCTX_ADAPTIVE ? ADAPTIVE : BudgetPolicy.defaults();
  }

  private Server server(io.grpc.ServerServiceDefinition service, ServerInterceptor... interceptors) {
    try {
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(io.grpc.ServerInterceptors.intercept(service, interceptors))
          .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
          .build().start();
      resources.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Channel client(Server server, Tier callee, OpenTelemetry otel) {
    ManagedChannel channel = GrpcStacks.netty(server.getPort());
    resources.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    // Runs inside reqctx's interceptor: records the deadline reqctx put on the call.
    ClientInterceptor deadlineProbe = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        io.grpc.Deadline d = options.getDeadline();
        OUTGOING_DEADLINE.set(d == null ? null : System.nanoTime() + d.timeRemaining(TimeUnit.NANOSECONDS));
        return next.newCall(method, options);
      }
    };
    if (!mode.reqctx()) {
      return ClientInterceptors.intercept(channel, deadlineProbe);
    }
    return ClientInterceptors.intercept(channel, deadlineProbe, RequestCtxClientInterceptor.create(
        ClientConfig.builder(callee).trusted(true).policy(policy()).openTelemetry(otel).build()));
  }

  private static void forward(Mode mode, Channel next, String request, StreamObserver<String> responses) {
    try {
      String answer = mode == Mode.STATIC
          ? io.grpc.Context.ROOT.call(() -> ClientCalls.blockingUnaryCall(next, HOP,
              CallOptions.DEFAULT.withDeadlineAfter(STATIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), request))
          : ClientCalls.blockingUnaryCall(next, HOP, CallOptions.DEFAULT, request);
      reply(responses, answer);
    } catch (StatusRuntimeException e) {
      fail(responses, e.getStatus());
    } catch (Exception e) {
      fail(responses, Status.UNKNOWN.withCause(e));
    }
  }

  private static void leaf(Mode mode, String request, StreamObserver<String> responses) {
    if (request.startsWith("echo:")) { // answered at once: teaches an adaptive reserve each hop's transit
      reply(responses, "echo");
      return;
    }
    Probe probe = PROBES.get(request.substring(request.indexOf(':') + 1));
    if (request.startsWith("hang:")) {
      CountDownLatch cancelled = new CountDownLatch(1);
      if (mode.reqctx()) {
        RequestCtx.current().onCancel(cause -> {
          probe.cancelObservedNanos = System.nanoTime();
          cancelled.countDown();
        });
      } else {
        io.grpc.Context.current().addListener(context -> {
          probe.cancelObservedNanos = System.nanoTime();
          cancelled.countDown();
        }, GrpcStacks.DIRECT);
      }
      probe.started.countDown();
      try {
        cancelled.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      probe.done.countDown();
      fail(responses, Status.CANCELLED);
      return;
    }
    // "work:<id>": busy steps until WORK_MS of work are done or the request is cancelled.
    probe.started.countDown();
    long start = System.nanoTime();
    long cpuAtCallerDeadline = -1;
    long now = start;
    boolean cancelled = false;
    while (now - start < TimeUnit.MILLISECONDS.toNanos(WORK_MS)) {
      cancelled = mode.reqctx() ? RequestCtx.current().isCancelled() : io.grpc.Context.current().isCancelled();
      if (cancelled) {
        break;
      }
      long stepEnd = now + STEP_NANOS;
      while ((now = System.nanoTime()) < stepEnd) {
        Thread.onSpinWait();
      }
      if (cpuAtCallerDeadline < 0 && now >= probe.callerDeadlineNanos) {
        cpuAtCallerDeadline = THREADS.getCurrentThreadCpuTime();
      }
    }
    long end = System.nanoTime();
    probe.workEndNanos = end;
    probe.wallAfterNanos = Math.max(0, end - probe.callerDeadlineNanos);
    probe.cpuAfterNanos = cpuAtCallerDeadline < 0 ? 0 : THREADS.getCurrentThreadCpuTime() - cpuAtCallerDeadline;
    probe.completed = !cancelled;
    probe.done.countDown();
    if (cancelled) {
      fail(responses, Status.CANCELLED);
    } else {
      reply(responses, "done");
    }
  }

  private static void reply(StreamObserver<String> responses, String answer) {
    try {
      responses.onNext(answer);
      responses.onCompleted();
    } catch (RuntimeException e) {
      // the call was cancelled under the handler: nobody to answer
    }
  }

  private static void fail(StreamObserver<String> responses, Status status) {
    try {
      responses.onError(status.asRuntimeException());
    } catch (RuntimeException e) {
      // the call was cancelled under the handler: nobody to answer
    }
  }

  /** The caller's side of one call; {@code budgetNanos} 0 means no deadline. */
  final class CallerCall implements AutoCloseable {
    final String id = Integer.toString(IDS.incrementAndGet());
    final Probe probe = new Probe();
    final long startNanos;
    final long callerDeadlineNanos;
    final @org.jspecify.annotations.Nullable Long outgoingDeadlineNanos;
    final ClientCall<String, String> call;
    final @org.jspecify.annotations.Nullable CancellableCtx scope;
    final CountDownLatch closed = new CountDownLatch(1);
    volatile long closedNanos;
    volatile Status.Code code;

    CallerCall(String kind, long budgetNanos) {
      PROBES.put(id, probe);
      startNanos = System.nanoTime();
      callerDeadlineNanos = budgetNanos == 0 ? Long.MAX_VALUE : startNanos + budgetNanos;
      probe.callerDeadlineNanos = callerDeadlineNanos;
      CallOptions options = CallOptions.DEFAULT.withExecutor(GrpcStacks.DIRECT);
      if (mode.reqctx()) {
        scope = CancellableCtx.newRoot(Tier.GATEWAY)
            .budget(budgetNanos == 0 ? Duration.ofMinutes(1) : Duration.ofNanos(budgetNanos)).open();
        try (Scope ignored = scope.makeCurrent()) {
          call = top.newCall(HOP, options);
        }
      } else {
        scope = null;
        call = top.newCall(HOP, budgetNanos == 0 ? options : options.withDeadlineAfter(budgetNanos, TimeUnit.NANOSECONDS));
      }
      outgoingDeadlineNanos = OUTGOING_DEADLINE.get();
      ClientCalls.asyncUnaryCall(call, kind + ":" + id, new StreamObserver<>() {
        @Override
        public void onNext(String value) {}

        @Override
        public void onError(Throwable t) {
          closedNanos = System.nanoTime();
          code = Status.fromThrowable(t).getCode();
          closed.countDown();
        }

        @Override
        public void onCompleted() {
          closedNanos = System.nanoTime();
          code = Status.Code.OK;
          closed.countDown();
        }
      });
    }

    void cancel() {
      if (scope != null) {
        scope.cancel();
      } else {
        call.cancel("caller gave up", null);
      }
    }

    boolean await() throws InterruptedException {
      return closed.await(10, TimeUnit.SECONDS) && probe.done.await(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      if (scope != null) {
        scope.close();
      }
      PROBES.remove(id);
    }
  }

  /** {@code calls} sequential calls the leaf answers at once, with a {@link #DEADLINE_MS} deadline. */
  void echo(int calls) throws InterruptedException {
    for (int i = 0; i < calls; i++) {
      try (CallerCall c = new CallerCall("echo", TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS))) {
        if (!c.closed.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("echo call never ended (" + mode + ")");
        }
      }
    }
  }

  /** Caller cancels once the leaf runs; nanos from cancel to the leaf's listener. */
  long[] cancelLatency(int calls) throws InterruptedException {
    long[] out = new long[calls];
    for (int i = 0; i < calls; i++) {
      try (CallerCall c = new CallerCall("hang", 0)) {
        if (!c.probe.started.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("leaf never started");
        }
        long t0 = System.nanoTime();
        c.cancel();
        if (!c.await()) {
          throw new IllegalStateException("cancel never reached the leaf (" + mode + ")");
        }
        out[i] = c.probe.cancelObservedNanos - t0;
      }
    }
    return out;
  }

  /**
   * Calls with a {@link #DEADLINE_MS} deadline to a hanging leaf, a new one every {@code paceMs}:
   * [0] leaf listener minus caller's deadline, [1] DEADLINE_EXCEEDED at the caller minus caller's
   * deadline, [2] the same minus the deadline on the caller's outgoing call; [3][0] calls that ended
   * with another status than DEADLINE_EXCEEDED. [0] has one entry per call that reached the leaf.
   */
  long[][] deadlineRuns(int calls, long paceMs) throws InterruptedException {
    long[][] out = {new long[calls], new long[calls], new long[calls], new long[1]};
    List<CallerCall> inFlight = new ArrayList<>();
    long base = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      LockSupport.parkNanos(base + i * TimeUnit.MILLISECONDS.toNanos(paceMs) - System.nanoTime());
      inFlight.add(new CallerCall("hang", TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS)));
    }
    int reached = 0;
    for (int i = 0; i < calls; i++) {
      CallerCall c = inFlight.get(i);
      if (!c.closed.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("deadline call never ended (" + mode + ")");
      }
      // A hop's deadline can cut the call before it reaches the leaf: no leaf figure for that call.
      if (c.probe.started.await(1, TimeUnit.SECONDS) && c.probe.done.await(10, TimeUnit.SECONDS)) {
        out[0][reached++] = c.probe.cancelObservedNanos - c.callerDeadlineNanos;
      }
      out[1][i] = c.closedNanos - c.callerDeadlineNanos;
      out[2][i] = c.closedNanos - (c.outgoingDeadlineNanos == null ? c.callerDeadlineNanos : c.outgoingDeadlineNanos);
      if (c.code != Status.Code.DEADLINE_EXCEEDED) {
        out[3][0]++;
      }
      c.close();
    }
    out[0] = Arrays.copyOf(out[0], reached);
    return out;
  }

  /** Sequential calls with a {@link #WORK_DEADLINE_MS} deadline to a leaf working {@link #WORK_MS}: [0] wall, [1] CPU after. */
  long[][] workAfter(int calls) throws InterruptedException {
    long[][] out = {new long[calls], new long[calls], new long[1]};
    for (int i = 0; i < calls; i++) {
      try (CallerCall c = new CallerCall("work", TimeUnit.MILLISECONDS.toNanos(WORK_DEADLINE_MS))) {
        if (!c.closed.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("work call never ended (" + mode + ")");
        }
        if (!c.probe.started.await(1, TimeUnit.SECONDS)) {
          continue; // cut before it reached the leaf: no work at all after the caller left
        }
        if (!c.probe.done.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("work call never ended (" + mode + ")");
        }
        out[0][i] = c.probe.wallAfterNanos;
        out[1][i] = c.probe.cpuAfterNanos;
        if (c.probe.completed) {
          out[2][0]++;
        }
      }
    }
    return out;
  }

  void close() throws Exception {
    for (AutoCloseable r : resources) {
      r.close();
    }
  }

  static String row(String label, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s |", label, s.length,
        ms(pct(s, 50)), ms(pct(s, 90)), ms(pct(s, 99)), ms(s[s.length - 1]), ms(s[0]));
  }

  /** Nearest-rank percentile of {@code sorted}. */
  public static long pct(long[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }

  static final String HEADER = "| mode | n | p50 ms | p90 ms | p99 ms | max ms | min ms |\n|---|---:|---:|---:|---:|---:|---:|";

  public static void main(String[] args) throws Exception {
    boolean full = args.length > 0 && args[0].equals("full");
    boolean smoke = args.length > 0 && args[0].equals("smoke"); // proves the harness runs; its numbers mean nothing
    int cancels = full ? 5000 : smoke ? 10 : 2000;
    int deadlines = full ? 2000 : smoke ? 10 : 500;
    int workFast = full ? 1000 : smoke ? 3 : 200;
    int workStatic = full ? 100 : smoke ? 1 : 20;
    int warmup = smoke ? 30 : 300;
    int cancelWarmup = smoke ? 30 : cancels;
    List<Mode> modes = new ArrayList<>(List.of(Mode.values()));
    if (args.length > 1) { // e.g. "quick reqctx,reqctx_adaptive"
      modes.clear();
      for (String m : args[1].split(",")) {
        modes.add(Mode.valueOf(m.trim().toUpperCase(Locale.ROOT)));
      }
    }
    Map<String, List<String>> tables = new TreeMap<>();
    System.out.printf(Locale.ROOT, "# ChainLatency %s: cancels %d, deadline calls %d (deadline %d ms, one every 10 ms), "
            + "work-after calls %d (%d static; caller deadline %d ms, leaf work %d ms in 100 us steps), warm-up %d each "
            + "(%d cancels)%n",
        full ? "full" : smoke ? "smoke" : "quick", cancels, deadlines, DEADLINE_MS, workFast, workStatic, WORK_DEADLINE_MS, WORK_MS,
        warmup, cancelWarmup);
    Map<Mode, ChainLatency> chains = new EnumMap<>(Mode.class);
    try {
      for (Mode mode : modes) {
        chains.put(mode, new ChainLatency(mode));
      }
      for (Mode mode : modes) {
        if (mode != Mode.STATIC) {
          chains.get(mode).cancelLatency(cancelWarmup);
        }
      }
      Map<Mode, long[]> cancelled = new EnumMap<>(Mode.class);
      int block = Math.max(1, cancels / 10);
      for (int done = 0; done < cancels; done += block) {
        for (Mode mode : modes) {
          if (mode != Mode.STATIC) {
            long[] more = chains.get(mode).cancelLatency(Math.min(block, cancels - done));
            long[] before = cancelled.getOrDefault(mode, new long[0]);
            long[] all = Arrays.copyOf(before, before.length + more.length);
            System.arraycopy(more, 0, all, before.length, more.length);
            cancelled.put(mode, all);
          }
        }
      }
      for (Mode mode : modes) {
        if (mode != Mode.STATIC) {
          tables.computeIfAbsent("3a. cancel: caller cancels -> leaf C's cancellation listener runs", k -> new ArrayList<>())
              .add(row(mode.name().toLowerCase(Locale.ROOT), cancelled.get(mode)));
        }
        measure(chains.get(mode), mode, tables, deadlines, workFast, workStatic, warmup);
      }
    } finally {
      for (ChainLatency chain : chains.values()) {
        chain.close();
      }
    }
    tables.forEach((title, rows) -> {
      System.out.println();
      System.out.println("#### " + title);
      System.out.println();
      System.out.println(HEADER);
      rows.forEach(System.out::println);
    });
  }

  /** Measures one mode's deadlines and work after cancel on its (warmed) chain; adds the rows to {@code tables}. */
  private static void measure(ChainLatency chain, Mode mode, Map<String, List<String>> tables, int deadlines,
      int workFast, int workStatic, int warmup) throws Exception {
    String m = mode.name().toLowerCase(Locale.ROOT);
    // The adaptive reserve learns from answered calls only (the deadline runs' leaf never answers): teach
    // it here, after the cancel runs warmed the JIT, so cold-start transit does not set its p99.
    chain.echo(mode == Mode.REQCTX_ADAPTIVE ? warmup : 0);
    chain.deadlineRuns(warmup / 3, 10);
    long[][] d = chain.deadlineRuns(deadlines, 10);
    if (mode != Mode.STATIC) {
      tables.computeIfAbsent("3b. deadline-cancel: caller's deadline -> leaf C's cancellation listener runs "
          + "(negative: before the caller's deadline)", k -> new ArrayList<>()).add(row(m, d[0]));
    }
    tables.computeIfAbsent("4a. deadline: caller's deadline -> DEADLINE_EXCEEDED at the caller (negative: earlier)",
        k -> new ArrayList<>()).add(row(m + (d[3][0] > 0 ? " (" + d[3][0] + " other statuses)" : ""), d[1]));
    tables.computeIfAbsent("4b. deadline: the deadline on the caller's outgoing call -> DEADLINE_EXCEEDED at the caller",
        k -> new ArrayList<>()).add(row(m, d[2]));
    chain.workAfter(mode == Mode.STATIC ? 2 : warmup / 10);
    long[][] w = chain.workAfter(mode == Mode.STATIC ? workStatic : workFast);
    tables.computeIfAbsent("5a. work after the caller left: leaf C's wall time after the caller's deadline",
        k -> new ArrayList<>()).add(row(m + " (" + w[2][0] + " of " + w[0].length + " ran to completion)", w[0]));
    tables.computeIfAbsent("5b. work after the caller left: leaf C's CPU time after the caller's deadline",
        k -> new ArrayList<>()).add(row(m, w[1]));
  }
}
