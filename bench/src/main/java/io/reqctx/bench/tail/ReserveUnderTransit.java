package io.reqctx.bench.tail;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.BudgetPolicy;
import io.reqctx.CancellableCtx;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.bench.grpc.GrpcStacks;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Does a hop send its callee a budget the callee can use? Caller → A → (transit delay) → C on loopback
 * Netty, one JVM, one clock: A calls C through a {@link DelayProxy} that delays every byte by {@code D}
 * each way. C records its own deadline (arrival + the budget it received); A records its own. C's budget
 * was <b>unusable</b> when an answer C gives at its deadline reaches A after A's deadline: C's deadline +
 * D &gt; A's deadline. Fixed reserve ({@link BudgetPolicy#defaults()}: 5 ms + 2 %) against the adaptive
 * reserve (the observed transit, 0.5 ms to 50 ms), for each injected delay; C answers at once, so the
 * calls themselves succeed and teach the adaptive reserve. Prints one table.
 *
 * <p>Usage: {@code ReserveUnderTransit quick|full|smoke}. Not a JMH benchmark: run it on a quiet
 * machine; the table gives the counts, never a number measured elsewhere.
 */
public final class ReserveUnderTransit {
  static final MethodDescriptor<String, String> CALL = GrpcStacks.unary("bench.Transit/Call");
  /** Caps far above the budgets used: only the caller's deadline and the reserves decide. */
  static final Tier HOP_A = Tier.define("bench-transit-a", 180, Duration.ofSeconds(10));
  static final Tier LEAF_C = Tier.define("bench-transit-c", 170, Duration.ofSeconds(10));
  static final long BUDGET_MS = 100;

  /** Deadlines on System.nanoTime, by request: A's own and C's own. */
  static final Map<String, long[]> DEADLINES = new ConcurrentHashMap<>();

  record Result(String reserve, long delayMicros, int calls, int unusable, int failed) {}

  static long deadlineNanos() {
    return System.nanoTime() + RequestCtx.current().remainingBudget().orElseThrow().toNanos();
  }

  static Result run(BudgetPolicy policy, String label, long delayMicros, int warmup, int calls) throws Exception {
    OpenTelemetry otel = OpenTelemetry.noop();
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      Server c = server(GrpcStacks.service(CALL, (request, responses) -> {
        DEADLINES.computeIfAbsent(request, r -> new long[2])[1] = deadlineNanos();
        responses.onNext("ok");
        responses.onCompleted();
      }), ServerConfig.builder(LEAF_C, Trust.TRUSTED).policy(policy).openTelemetry(otel).build(), resources);
      DelayProxy proxy = new DelayProxy(c.getPort(), TimeUnit.MICROSECONDS.toNanos(delayMicros));
      resources.add(proxy);
      ManagedChannel rawToC = GrpcStacks.netty(proxy.port());
      resources.add(() -> rawToC.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      Channel toC = ClientInterceptors.intercept(rawToC, RequestCtxClientInterceptor.create(
          ClientConfig.builder(LEAF_C).trusted(true).policy(policy).openTelemetry(otel).build()));
      Server a = server(GrpcStacks.service(CALL, (request, responses) -> {
        DEADLINES.computeIfAbsent(request, r -> new long[2])[0] = deadlineNanos();
        try {
          responses.onNext(ClientCalls.blockingUnaryCall(toC, CALL, CallOptions.DEFAULT, request));
          responses.onCompleted();
        } catch (StatusRuntimeException e) {
          responses.onError(e);
        }
      }), ServerConfig.builder(HOP_A, Trust.TRUSTED).policy(policy).openTelemetry(otel).build(), resources);
      ManagedChannel rawToA = GrpcStacks.netty(a.getPort());
      resources.add(0, () -> rawToA.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      Channel toA = ClientInterceptors.intercept(rawToA, RequestCtxClientInterceptor.create(
          ClientConfig.builder(HOP_A).trusted(true).policy(policy).openTelemetry(otel).build()));

      int unusable = 0;
      int failed = 0;
      for (int i = 0; i < warmup + calls; i++) {
        String id = label + "-" + delayMicros + "-" + i;
        try (CancellableCtx origin = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofMillis(BUDGET_MS)).open();
            Scope s = origin.makeCurrent()) {
          ClientCalls.blockingUnaryCall(toA, CALL, CallOptions.DEFAULT, id);
        } catch (StatusRuntimeException e) {
          if (i >= warmup) {
            failed++;
          }
        }
        long[] deadlines = DEADLINES.remove(id);
        if (i >= warmup && deadlines != null && deadlines[0] != 0 && deadlines[1] != 0
            && deadlines[1] + TimeUnit.MICROSECONDS.toNanos(delayMicros) > deadlines[0]) {
          unusable++;
        }
      }
      return new Result(label, delayMicros, calls, unusable, failed);
    } finally {
      for (AutoCloseable r : resources) {
        r.close();
      }
    }
  }

  static Server server(io.grpc.ServerServiceDefinition service, ServerConfig config, List<AutoCloseable> resources) {
    return TailHedging.server(service, resources, RequestCtxServerInterceptor.create(config));
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "quick";
    int calls = switch (mode) {
      case "full" -> 2000;
      case "smoke" -> 30;
      default -> 500;
    };
    int warmup = mode.equals("smoke") ? 25 : 200; // the adaptive reserve needs 20 calls before it is used
    long[] delaysMicros = mode.equals("smoke") ? new long[] {2000} : new long[] {0, 1000, 2000, 5000, 10000};
    BudgetPolicy fixed = BudgetPolicy.defaults();
    BudgetPolicy adaptive = BudgetPolicy.builder().adaptiveReserve(Duration.ofNanos(500_000),
        Duration.ofMillis(50)).build();
    System.out.printf(Locale.ROOT, "# ReserveUnderTransit %s: caller budget %d ms, caller -> A -> [delay D each way] -> C, "
        + "%d calls per row after %d warm-up calls%n%n", mode, BUDGET_MS, calls, warmup);
    System.out.println("| reserve | D each way (ms) | calls | C's budget unusable (C's deadline + D > A's deadline) | failed calls |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (long delay : delaysMicros) {
      for (Result r : List.of(run(fixed, "fixed", delay, warmup, calls), run(adaptive, "adaptive", delay, warmup, calls))) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %d | %d (%.1f %%) | %d |%n", r.reserve(), r.delayMicros() / 1000.0,
            r.calls(), r.unusable(), 100.0 * r.unusable() / r.calls(), r.failed());
      }
    }
    System.exit(0);
  }

  private ReserveUnderTransit() {}
}
