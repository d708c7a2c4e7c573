package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.BindableService;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.Ticker;
import io.reqctx.armeria.RequestCtxService;
import io.reqctx.budgets.FleetConfigs;
import io.reqctx.chaos.Chaos;
import io.reqctx.chaos.ChaosClientInterceptor;
import io.reqctx.chaos.ChaosServerInterceptor;
import io.reqctx.chaos.ChaosService;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.grpc.ResilienceClientInterceptor;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.InventoryServiceGrpc;
import io.reqctx.samples.proto.OrderServiceGrpc;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One tier of the chain listening on {@code 127.0.0.1}: the gateway on Armeria (HTTP/JSON, and its
 * recent requests as waterfall pages under {@code /waterfalls}), the
 * others on grpc-java's Netty server, each with a channel to its downstream. With {@link
 * ChainMode#REQCTX} every server and client carries reqctx, configured from the sample fleet's budget
 * file ({@link SampleFleet}: tiers, trust, method budgets, reserves and minimum viable budgets, checked
 * against the {@code .proto} options); with {@link ChainMode#STATIC_TIMEOUTS} none does; with {@link
 * ChainMode#OTEL_TRACING_ONLY} none does but every server and client traces with OpenTelemetry.
 *
 * <pre>{@code
 * try (TierServer cache = TierServer.start(Role.CACHE, 0, null, ChainMode.REQCTX, otel, log);
 *     TierServer inventory = TierServer.start(Role.INVENTORY, 0, cache.target(), ChainMode.REQCTX, otel, log)) {
 *   ...
 * }
 * }</pre>
 */
public final class TierServer implements AutoCloseable {
  /**
   * The inventory's breaker on the cache, set as a team would run it rather than with Resilience4j's
   * defaults (60 s open, 100-call window): it judges the last 10 s once it has seen 10 calls, opens at
   * 50 % failures, lets 3 probes through after 2 s open, and closes again when they succeed, so the
   * inventory serves fresh stock again seconds after the cache recovers.
   */
  static final CircuitBreakerConfig CACHE_BREAKER = CircuitBreakerConfig.custom()
      .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
      .slidingWindowSize(10)
      .minimumNumberOfCalls(10)
      .failureRateThreshold(50)
      .waitDurationInOpenState(Duration.ofSeconds(2))
      .permittedNumberOfCallsInHalfOpenState(3)
      .build();

  /**
   * The longest a tier's channel waits before it tries its downstream again after losing it
   * ({@link ReconnectBackoffCap}); grpc-java's own backoff grows to 120 s.
   */
  public static final Duration RECONNECT_CAP = Duration.ofSeconds(1);

  /**
   * The gateway's limit on HTTP/2 stream resets (RST_STREAM frames a client sends) per connection:
   * {@value #GATEWAY_MAX_RESETS} per {@value #GATEWAY_RESET_WINDOW_SECONDS} s. Armeria's default, 400
   * per minute, guards against "rapid reset" floods but also closes the connection (GOAWAY) of a
   * legitimate client whose users cancel requests, failing the requests it had not cancelled: a proxy
   * or mobile backend multiplexing many users on one connection passes 400 cancels a minute at a few
   * hundred requests per second. The cost of a reset stays bounded without the low limit: reqctx stops
   * the cancelled request's work at every hop within milliseconds, and {@link
   * #GATEWAY_MAX_STREAMS_PER_CONNECTION} bounds what one connection has in flight. docs/RELIABILITY.md
   * says how to size both.
   */
  public static final int GATEWAY_MAX_RESETS = 10_000;
  /** The window of {@link #GATEWAY_MAX_RESETS}, in seconds. */
  public static final int GATEWAY_RESET_WINDOW_SECONDS = 10;
  /** The most streams one client connection may have open at the gateway (Armeria's default: no limit). */
  public static final long GATEWAY_MAX_STREAMS_PER_CONNECTION = 1_000;
  /** How long an idle handler thread of a tier lives. */
  static final long HANDLER_THREAD_IDLE_SECONDS = 5;

  private final Role role;
  private final int port;
  private final AutoCloseable server;
  private final @Nullable ManagedChannel downstream;
  private final @Nullable ReconnectBackoffCap reconnectCap;

  private final ExecutorService executor;

  private TierServer(Role role, int port, AutoCloseable server, @Nullable ManagedChannel downstream,
      @Nullable ReconnectBackoffCap reconnectCap, ExecutorService executor) {
    this.role = role;
    this.port = port;
    this.server = server;
    this.downstream = downstream;
    this.reconnectCap = reconnectCap;
    this.executor = executor;
  }

  /**
   * How a tier runs beyond its role and mode.
   *
   * @param chaos the faults to inject ({@code reqctx-chaos}), server rules on the tier's server and
   *     client rules on its channel to the downstream; null for none (the default)
   * @param reconnectCap see {@link #RECONNECT_CAP}; null leaves grpc-java's own backoff alone
   */
  public record Options(@Nullable Chaos chaos, @Nullable Duration reconnectCap) {
    /** No chaos, reconnects capped at {@link #RECONNECT_CAP}. */
    public static Options defaults() {
      return new Options(null, RECONNECT_CAP);
    }

    /** These options with {@code chaos}. */
    public Options withChaos(@Nullable Chaos newChaos) {
      return new Options(newChaos, reconnectCap);
    }

    /** These options with another reconnect cap (null: grpc-java's backoff). */
    public Options withReconnectCap(@Nullable Duration cap) {
      return new Options(chaos, cap);
    }
  }

  /**
   * Starts {@code role} on {@code port} (0: any free port) of 127.0.0.1.
   *
   * @param downstream {@code host:port} of the tier below; required for every role but the cache
   * @throws IllegalArgumentException when {@code downstream} is missing or given to the cache
   * @throws UncheckedIOException when the port cannot be bound
   */
  public static TierServer start(
      Role role, int port, @Nullable String downstream, ChainMode mode, OpenTelemetry otel, HopLog log) {
    return start(role, port, downstream, mode, otel, log, Options.defaults());
  }

  /** {@link #start(Role, int, String, ChainMode, OpenTelemetry, HopLog)} with {@code options}. */
  public static TierServer start(Role role, int port, @Nullable String downstream, ChainMode mode, OpenTelemetry otel,
      HopLog log, Options options) {
    requireNonNull(role, "role");
    requireNonNull(options, "options");
    requireNonNull(mode, "mode");
    if (role.hasDownstream() != (downstream != null)) {
      throw new IllegalArgumentException(role.hasDownstream()
          ? "the " + role.cliName() + " tier needs --downstream <host:port> of the tier below it"
          : "the cache is the last tier: it takes no --downstream");
    }
    ExecutorService executor = handlerThreads(role);
    ManagedChannel channel = downstream == null
        ? null
        : NettyChannelBuilder.forTarget(downstream).usePlaintext().executor(executor).build();
    if (channel != null) {
      channel.getState(true); // connect now: the first request (200 ms in tight-budget) must not pay for the handshake
    }
    ReconnectBackoffCap cap = channel == null || options.reconnectCap() == null
        ? null
        : ReconnectBackoffCap.watch(channel, options.reconnectCap(), Ticker.system());
    Wiring wiring = new Wiring(mode, otel, options.chaos(), cap, executor);
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    try {
      return switch (role) {
        case CACHE -> wiring.grpc(role, address, wiring.server(new CacheService(log), role), null);
        case INVENTORY -> {
          Channel toCache = wiring.client(channel, role, Role.CACHE);
          InventoryService inventory =
              new InventoryService(CacheServiceGrpc.newBlockingStub(toCache), mode, cacheGuard(Ticker.system()), log);
          yield wiring.grpc(role, address, wiring.server(inventory, role), channel);
        }
        case ORDER -> {
          Channel toInventory = wiring.client(channel, role, Role.INVENTORY);
          OrderService order = new OrderService(InventoryServiceGrpc.newBlockingStub(toInventory), mode, log);
          yield wiring.grpc(role, address, wiring.server(order, role), channel);
        }
        case GATEWAY -> {
          Channel toOrder = wiring.client(channel, role, Role.ORDER);
          RecentWaterfalls waterfalls = new RecentWaterfalls();
          HttpService gateway = new GatewayService(OrderServiceGrpc.newFutureStub(toOrder), mode, log, waterfalls);
          yield wiring.armeria(role, address, wiring.gateway(gateway), waterfalls, channel);
        }
      };
    } catch (IOException e) {
      if (cap != null) {
        cap.close();
      }
      if (channel != null) {
        channel.shutdownNow();
      }
      executor.shutdownNow();
      throw new UncheckedIOException("cannot start the " + role.cliName() + " tier on " + address + ": " + e.getMessage(), e);
    }
  }

  /**
   * The inventory's guard on its cache reads: one attempt (the inventory answers from its fallback
   * rather than retry), bounded by the cache method's budget from the budget file, so that the
   * breaker ({@link #CACHE_BREAKER}, on {@code ticker}) can tell a slow cache from a caller that had
   * little time left, and counts only the former.
   */
  static DownstreamGuard cacheGuard(Ticker ticker) {
    return DownstreamGuard.builder("cache")
        .callee(SampleFleet.fleet().method(CacheService.METHOD).orElseThrow().callee())
        .circuitBreaker(CACHE_BREAKER)
        .timeoutOn(ResilienceClientInterceptor.deadlineExceeded()) // the blocking stub's deadline errors
        .ticker(ticker)
        .build();
  }

  /** The role this server plays. */
  public Role role() {
    return role;
  }

  /** The port it listens on. */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:<port>}, what the tier above passes as its downstream. */
  public String target() {
    return "127.0.0.1:" + port;
  }

  /** Stops the server at once and closes its downstream channel. */
  @Override
  public void close() throws Exception {
    try {
      server.close();
    } finally {
      if (reconnectCap != null) {
        reconnectCap.close();
      }
      executor.shutdown();
      if (downstream != null) {
        downstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The threads that run a tier's gRPC handlers and its channel's callbacks: grown on demand like
   * grpc-java's default pool, but owned by the tier (a killed tier takes them with it) and idle for
   * {@value #HANDLER_THREAD_IDLE_SECONDS} s at most, not 60 s, so that a process returns to its
   * resting thread count soon after a burst.
   */
  private static ExecutorService handlerThreads(Role role) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, HANDLER_THREAD_IDLE_SECONDS, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "reqctx-samples-" + role.cliName() + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** The reqctx (or no) interceptors and decorators of one tier, with its chaos if any. */
  private record Wiring(ChainMode mode, OpenTelemetry otel, @Nullable Chaos chaos, @Nullable ReconnectBackoffCap cap,
      ExecutorService executor) {

    ServerServiceDefinition server(BindableService service, Role role) {
      ServerServiceDefinition definition = service.bindService();
      if (mode == ChainMode.STATIC_TIMEOUTS) {
        return definition;
      }
      if (mode == ChainMode.OTEL_TRACING_ONLY) {
        return ServerInterceptors.intercept(definition, OtelTracingOnly.server(otel));
      }
      ServerConfig config = FleetConfigs.server(SampleFleet.fleet(), role.cliName()).openTelemetry(otel).build();
      ServerInterceptor reqctx = RequestCtxServerInterceptor.create(config);
      return ServerInterceptors.intercept(definition, chaos == null ? reqctx : ChaosServerInterceptor.wrap(chaos, reqctx));
    }

    HttpService gateway(HttpService service) {
      if (mode == ChainMode.STATIC_TIMEOUTS) {
        return service;
      }
      if (mode == ChainMode.OTEL_TRACING_ONLY) {
        return OtelTracingOnly.gateway(otel).apply(service);
      }
      Function<? super HttpService, ? extends HttpService> reqctx = RequestCtxService.newDecorator(
          FleetConfigs.server(SampleFleet.fleet(), Role.GATEWAY.cliName()).openTelemetry(otel).build());
      return chaos == null ? reqctx.apply(service) : ChaosService.newDecorator(chaos, reqctx).apply(service);
    }

    /**
     * The channel to a downstream: reqctx's client interceptor budgets the call, chaos (if any) acts
     * on it next, and the probe reads what is sent.
     */
    Channel client(@Nullable ManagedChannel channel, Role caller, Role callee) {
      requireNonNull(channel, "channel");
      ClientInterceptor probe = new SentBudgetProbe();
      if (mode == ChainMode.STATIC_TIMEOUTS) {
        return ClientInterceptors.intercept(channel, probe);
      }
      if (mode == ChainMode.OTEL_TRACING_ONLY) {
        return ClientInterceptors.intercept(channel, probe, OtelTracingOnly.client(otel)); // the last one runs first
      }
      ClientConfig config = FleetConfigs.client(SampleFleet.fleet(), caller.cliName(), callee.cliName())
          .openTelemetry(otel)
          .build();
      List<ClientInterceptor> interceptors = new ArrayList<>(List.of(probe)); // the last one runs first
      if (chaos != null) {
        interceptors.add(ChaosClientInterceptor.create(chaos));
      }
      interceptors.add(RequestCtxClientInterceptor.create(config));
      return ClientInterceptors.intercept(channel, interceptors);
    }

    TierServer grpc(Role role, InetSocketAddress address, ServerServiceDefinition service,
        @Nullable ManagedChannel downstream) throws IOException {
      NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
          .executor(executor)
          .addService(service)
          .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter());
      if (chaos != null && mode == ChainMode.REQCTX) {
        builder.addStreamTracerFactory(ChaosServerInterceptor.deadlineSkewTracer(chaos));
      }
      io.grpc.Server server = builder.build().start();
      return new TierServer(role, server.getPort(), () -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS),
          downstream, cap, executor);
    }

    TierServer armeria(Role role, InetSocketAddress address, HttpService gateway, HttpService waterfalls,
        @Nullable ManagedChannel downstream) {
      Server server = Server.builder()
          .http(address)
          .service(GatewayService.ROUTE, gateway)
          .service(RecentWaterfalls.INDEX, waterfalls)
          .service(RecentWaterfalls.PAGES, waterfalls)
          .http2MaxResetFramesPerWindow(GATEWAY_MAX_RESETS, GATEWAY_RESET_WINDOW_SECONDS)
          .http2MaxStreamsPerConnection(GATEWAY_MAX_STREAMS_PER_CONNECTION)
          .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
          .build();
      server.start().join();
      return new TierServer(role, server.activeLocalPort(), () -> server.stop().join(), downstream, cap, executor);
    }
  }
}
