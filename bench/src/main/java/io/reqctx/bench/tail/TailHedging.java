package io.reqctx.bench.tail;

import static io.reqctx.bench.grpc.ChainLatency.pct;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Contexts;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.BudgetPolicy;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.bench.grpc.GrpcStacks;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.resilience4j.AmplificationRule;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.Hedging;
import io.reqctx.resilience4j.RetryBudget;
import io.reqctx.resilience4j.grpc.ResilienceClientInterceptor;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Tail latency with a slow cache replica: caller → service B → cache (two replicas behind gRPC's {@code
 * round_robin}) on loopback Netty, reqctx interceptors on every hop. Replica 0 is slow on a fraction of
 * its requests (by default 10 % take 10× the normal service time); replica 1 never is. B's calls to the
 * cache are made three ways, side by side in one run:
 *
 * <ul>
 *   <li><b>none</b>: no hedging;
 *   <li><b>grpc</b>: gRPC's own {@code hedgingPolicy} (2 attempts, the same delay), no throttling;
 *   <li><b>reqctx</b>: reqctx-resilience4j's budget-aware hedging (2 attempts, the same delay, the
 *       default retry budget, hedging at B's hop only).
 * </ul>
 *
 * A fraction of the calls get a tight budget, so that for them a hedge after the delay could no longer
 * be met. Per mode: end-to-end p50/p99/p99.9 and max at the caller, failed calls, cache requests per
 * call (the load), hedges that reached the cache, and hedges that reached it with less than the
 * minimum viable budget (10 ms) left — sent after the budget could no longer be met.
 *
 * <p>Usage: {@code TailHedging quick|full|smoke}. Not a JMH benchmark: run it on a quiet machine.
 */
public final class TailHedging {
  static final MethodDescriptor<String, String> ITEM = GrpcStacks.unary("bench.Service/Item");
  static final MethodDescriptor<String, String> GET =
      GrpcStacks.unary("bench.Cache/Get").toBuilder().setIdempotent(true).build();
  /** Caps far above the budgets used: only the caller's deadline and the reserves decide. */
  static final Tier SERVICE = Tier.define("bench-tail-service", 190, Duration.ofSeconds(10));
  static final Tier CACHE = Tier.define("bench-tail-cache", 160, Duration.ofSeconds(10));
  static final Metadata.Key<String> PREVIOUS_ATTEMPTS =
      Metadata.Key.of("grpc-previous-rpc-attempts", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> REQCTX_ATTEMPT = Metadata.Key.of("reqctx-attempt", Metadata.ASCII_STRING_MARSHALLER);
  static final io.grpc.Context.Key<Boolean> HEDGE = io.grpc.Context.key("hedge");

  enum Mode { NONE, GRPC, REQCTX }

  /** The run's settings; every duration in microseconds. */
  record Settings(int calls, int warmup, int concurrency, long budgetMicros, long tightBudgetMicros,
      double tightFraction, long serviceMicros, int slowFactor, double slowFraction, long hedgeDelayMicros) {}

  /** What the replicas saw. */
  static final class CacheLoad {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong hedges = new AtomicLong();
    final AtomicLong lateHedges = new AtomicLong();
  }

  record Result(Mode mode, long[] latencyNanos, Map<String, Integer> failed, long cacheRequests, long hedges,
      long lateHedges) {}

  /** Resolves {@code bench-replicas://<name>} to the replicas registered under that name. */
  static final class Replicas extends NameResolverProvider {
    static final String SCHEME = "bench-replicas";
    static final Map<String, List<InetSocketAddress>> BY_NAME = new ConcurrentHashMap<>();

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }

    @Override
    public String getDefaultScheme() {
      return SCHEME;
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
      if (!SCHEME.equals(target.getScheme())) {
        return null;
      }
      List<InetSocketAddress> addresses = BY_NAME.get(target.getAuthority());
      return new NameResolver() {
        @Override
        public String getServiceAuthority() {
          return "cache";
        }

        @Override
        public void start(Listener2 listener) {
          listener.onResult(ResolutionResult.newBuilder()
              .setAddresses(addresses.stream().map(EquivalentAddressGroup::new).toList()).build());
        }

        @Override
        public void shutdown() {}
      };
    }
  }

  static {
    NameResolverRegistry.getDefaultRegistry().register(new Replicas());
  }

  static Result run(Mode mode, Settings settings) throws Exception {
    OpenTelemetry otel = OpenTelemetry.noop();
    BudgetPolicy policy = BudgetPolicy.defaults();
    long minimumViableNanos = policy.minimumViableBudget().toNanos();
    List<AutoCloseable> resources = new ArrayList<>();
    CacheLoad load = new CacheLoad();
    try {
      // A hedge reached the cache: grpc's carry grpc-previous-rpc-attempts, reqctx's an attempt above 1.
      ServerInterceptor countHedges = new ServerInterceptor() {
        @Override
        public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
          String attempt = headers.get(REQCTX_ATTEMPT);
          boolean hedge = headers.get(PREVIOUS_ATTEMPTS) != null || (attempt != null && !attempt.equals("1"));
          io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
          load.requests.incrementAndGet();
          if (hedge) {
            load.hedges.incrementAndGet();
            if (deadline == null || deadline.timeRemaining(TimeUnit.NANOSECONDS) < minimumViableNanos) {
              load.lateHedges.incrementAndGet();
            }
          }
          return Contexts.interceptCall(io.grpc.Context.current().withValue(HEDGE, hedge), call, headers, next);
        }
      };
      List<InetSocketAddress> replicas = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        boolean slowReplica = r == 0;
        Server replica = server(GrpcStacks.service(GET, (request, responses) -> {
          long micros = settings.serviceMicros();
          if (slowReplica && ThreadLocalRandom.current().nextDouble() < settings.slowFraction()) {
            micros *= settings.slowFactor();
          }
          long end = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(micros);
          for (long left; (left = end - System.nanoTime()) > 0 && !io.grpc.Context.current().isCancelled(); ) {
            LockSupport.parkNanos(Math.min(left, 200_000));
          }
          try {
            responses.onNext("value");
            responses.onCompleted();
          } catch (RuntimeException cancelled) {
            // the attempt lost: nobody to answer
          }
        }), resources, RequestCtxServerInterceptor.create(
            ServerConfig.builder(CACHE, Trust.TRUSTED).policy(policy).openTelemetry(otel).build()), countHedges);
        replicas.add(new InetSocketAddress("127.0.0.1", replica.getPort()));
      }
      String name = mode.name().toLowerCase(Locale.ROOT) + "-" + System.nanoTime();
      Replicas.BY_NAME.put(name, replicas);
      NettyChannelBuilder builder = NettyChannelBuilder.forTarget(Replicas.SCHEME + "://" + name + "/cache")
          .usePlaintext().defaultLoadBalancingPolicy("round_robin");
      if (mode == Mode.GRPC) {
        builder.enableRetry().defaultServiceConfig(Map.of("methodConfig", List.of(Map.of(
            "name", List.of(Map.of("service", "bench.Cache")),
            "hedgingPolicy", Map.of(
                "maxAttempts", 2.0,
                "hedgingDelay", String.format(Locale.ROOT, "%.6fs", settings.hedgeDelayMicros() / 1e6),
                "nonFatalStatusCodes", List.of())))));
      } else {
        builder.disableRetry();
      }
      ManagedChannel rawToCache = builder.build();
      resources.add(0, () -> rawToCache.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      Channel toCache = ClientInterceptors.intercept(rawToCache, RequestCtxClientInterceptor.create(
          ClientConfig.builder(CACHE).trusted(true).policy(policy).openTelemetry(otel).build()));
      if (mode == Mode.REQCTX) {
        DownstreamGuard guard = DownstreamGuard.builder("cache").policy(policy)
            .callee(io.reqctx.Callee.of("cache", CACHE))
            .hedging(Hedging.fixedDelay(2, Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(settings.hedgeDelayMicros()))))
            .retryBudget(RetryBudget.builder().build())
            .amplificationRule(AmplificationRule.onlyAtHop(1)) // B, one hop from the caller
            .openTelemetry(otel)
            .build();
        toCache = ClientInterceptors.intercept(toCache, ResilienceClientInterceptor.builder().service("bench.Cache", guard).build());
      }
      Channel cache = toCache;
      Server b = server(GrpcStacks.service(ITEM, (request, responses) -> {
        try {
          responses.onNext(ClientCalls.blockingUnaryCall(cache, GET, CallOptions.DEFAULT, request));
          responses.onCompleted();
        } catch (StatusRuntimeException e) {
          responses.onError(e);
        }
      }), resources, RequestCtxServerInterceptor.create(
          ServerConfig.builder(SERVICE, Trust.TRUSTED).policy(policy).openTelemetry(otel).build()));
      ManagedChannel rawToB = GrpcStacks.netty(b.getPort());
      resources.add(0, () -> rawToB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      Channel toB = ClientInterceptors.intercept(rawToB, RequestCtxClientInterceptor.create(
          ClientConfig.builder(SERVICE).trusted(true).policy(policy).openTelemetry(otel).build()));

      awaitReady(rawToCache);
      awaitReady(rawToB);
      calls(toB, settings, settings.warmup(), new long[settings.warmup()], new ConcurrentHashMap<>());
      long before = load.requests.get();
      long hedgesBefore = load.hedges.get();
      long lateBefore = load.lateHedges.get();
      long[] latencies = new long[settings.calls()];
      Map<String, Integer> failed = new ConcurrentHashMap<>();
      calls(toB, settings, settings.calls(), latencies, failed);
      return new Result(mode, latencies, failed, load.requests.get() - before, load.hedges.get() - hedgesBefore,
          load.lateHedges.get() - lateBefore);
    } finally {
      for (AutoCloseable r : resources) {
        r.close();
      }
    }
  }

  /** Waits (up to 30 s) until {@code channel} has connected. */
  static void awaitReady(ManagedChannel channel) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (channel.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < end) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** {@code n} calls from {@code concurrency} closed-loop callers; failures counted by status in {@code failed}. */
  static void calls(Channel toB, Settings settings, int n, long[] latencies, Map<String, Integer> failed)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    ExecutorService callers = Executors.newFixedThreadPool(settings.concurrency());
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < settings.concurrency(); t++) {
        done.add(callers.submit(() -> {
          for (int i; (i = next.getAndIncrement()) < n; ) {
            boolean tight = ThreadLocalRandom.current().nextDouble() < settings.tightFraction();
            long budget = tight ? settings.tightBudgetMicros() : settings.budgetMicros();
            long start = System.nanoTime();
            try (CancellableCtx origin = CancellableCtx.newRoot(Tier.GATEWAY)
                .budget(Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(budget))).open();
                Scope s = origin.makeCurrent()) {
              ClientCalls.blockingUnaryCall(toB, ITEM, CallOptions.DEFAULT, "item-" + i);
            } catch (StatusRuntimeException e) {
              failed.merge((tight ? "tight " : "") + e.getStatus().getCode(), 1, Integer::sum);
            }
            latencies[i] = System.nanoTime() - start;
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      callers.shutdownNow();
    }
  }

  static Server server(io.grpc.ServerServiceDefinition service, List<AutoCloseable> resources,
      ServerInterceptor... interceptors) {
    try {
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(ServerInterceptors.intercept(service, interceptors))
          .build().start();
      resources.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "quick";
    int calls = switch (kind) {
      case "full" -> 50_000;
      case "smoke" -> 60;
      default -> 10_000;
    };
    Settings settings = new Settings(calls, kind.equals("smoke") ? 20 : 1000, 4, 100_000, 22_000, 0.2, 1_000, 10, 0.1,
        3_000);
    System.out.printf(Locale.ROOT, "# TailHedging %s: %s%n%n", kind, settings);
    System.out.println("| mode | calls | failed (by status; tight: a tight-budget call) | p50 ms | p99 ms | p99.9 ms | max ms | cache requests per call "
        + "| hedges at the cache | hedges with < 10 ms left |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Mode mode : Mode.values()) {
      Result r = run(mode, settings);
      long[] s = r.latencyNanos().clone();
      Arrays.sort(s);
      System.out.printf(Locale.ROOT, "| %s | %d | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %d | %d |%n",
          mode.name().toLowerCase(Locale.ROOT), s.length, new java.util.TreeMap<>(r.failed()), pct(s, 50) / 1e6, pct(s, 99) / 1e6,
          pct(s, 99.9) / 1e6, s[s.length - 1] / 1e6, (double) r.cacheRequests() / s.length, r.hedges(), r.lateHedges());
    }
    System.exit(0);
  }

  private TailHedging() {}
}
