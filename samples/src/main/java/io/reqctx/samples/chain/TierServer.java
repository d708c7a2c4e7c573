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
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.Ticker;
import io.reqctx.armeria.RequestCtxService;
import io.reqctx.budgets.FleetConfigs;
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
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One tier of the chain listening on {@code 127.0.0.1}: the gateway on Armeria (HTTP/JSON, and its
 * recent requests as waterfall pages under {@code /waterfalls}), the
 * others on grpc-java's Netty server, each with a channel to its downstream. With {@link
 * ChainMode#REQCTX} every server and client carries reqctx, configured from the sample fleet's budget
 * file ({@link SampleFleet}: tiers, trust, method budgets, reserves and minimum viable budgets, checked
 * against the {@code .proto} options); with {@link ChainMode#STATIC_TIMEOUTS} none does.
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

  private final Role role;
  private final int port;
  private final AutoCloseable server;
  private final @Nullable ManagedChannel downstream;

  private TierServer(Role role, int port, AutoCloseable server, @Nullable ManagedChannel downstream) {
    this.role = role;
    this.port = port;
    this.server = server;
    this.downstream = downstream;
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
    requireNonNull(role, "role");
    requireNonNull(mode, "mode");
    if (role.hasDownstream() != (downstream != null)) {
      throw new IllegalArgumentException(role.hasDownstream()
          ? "the " + role.cliName() + " tier needs --downstream <host:port> of the tier below it"
          : "the cache is the last tier: it takes no --downstream");
    }
    ManagedChannel channel = downstream == null ? null : NettyChannelBuilder.forTarget(downstream).usePlaintext().build();
    if (channel != null) {
      channel.getState(true); // connect now: the first request (200 ms in tight-budget) must not pay for the handshake
    }
    Wiring wiring = new Wiring(mode, otel);
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    try {
      return switch (role) {
        case CACHE -> grpc(role, address, wiring.server(new CacheService(log), role), null);
        case INVENTORY -> {
          Channel toCache = wiring.client(channel, role, Role.CACHE);
          InventoryService inventory =
              new InventoryService(CacheServiceGrpc.newBlockingStub(toCache), mode, cacheGuard(Ticker.system()), log);
          yield grpc(role, address, wiring.server(inventory, role), channel);
        }
        case ORDER -> {
          Channel toInventory = wiring.client(channel, role, Role.INVENTORY);
          OrderService order = new OrderService(InventoryServiceGrpc.newBlockingStub(toInventory), mode, log);
          yield grpc(role, address, wiring.server(order, role), channel);
        }
        case GATEWAY -> {
          Channel toOrder = wiring.client(channel, role, Role.ORDER);
          RecentWaterfalls waterfalls = new RecentWaterfalls();
          HttpService gateway = new GatewayService(OrderServiceGrpc.newFutureStub(toOrder), mode, log, waterfalls);
          yield armeria(role, address, wiring.gateway(gateway), waterfalls, channel);
        }
      };
    } catch (IOException e) {
      if (channel != null) {
        channel.shutdownNow();
      }
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
      if (downstream != null) {
        downstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static TierServer grpc(Role role, InetSocketAddress address, ServerServiceDefinition service,
      @Nullable ManagedChannel downstream) throws IOException {
    io.grpc.Server server = NettyServerBuilder.forAddress(address)
        .addService(service)
        .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
        .build()
        .start();
    return new TierServer(role, server.getPort(), () -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS),
        downstream);
  }

  private static TierServer armeria(Role role, InetSocketAddress address, HttpService gateway,
      HttpService waterfalls, @Nullable ManagedChannel downstream) {
    Server server = Server.builder()
        .http(address)
        .service(GatewayService.ROUTE, gateway)
        .service(RecentWaterfalls.INDEX, waterfalls)
        .service(RecentWaterfalls.PAGES, waterfalls)
        .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
        .build();
    server.start().join();
    return new TierServer(role, server.activeLocalPort(), () -> server.stop().join(), downstream);
  }

  /** The reqctx (or no) interceptors and decorators of one tier. */
  private record Wiring(ChainMode mode, OpenTelemetry otel) {

    ServerServiceDefinition server(BindableService service, Role role) {
      ServerServiceDefinition definition = service.bindService();
      if (mode == ChainMode.STATIC_TIMEOUTS) {
        return definition;
      }
      ServerConfig config = FleetConfigs.server(SampleFleet.fleet(), role.cliName()).openTelemetry(otel).build();
      return ServerInterceptors.intercept(definition, RequestCtxServerInterceptor.create(config));
    }

    HttpService gateway(HttpService service) {
      if (mode == ChainMode.STATIC_TIMEOUTS) {
        return service;
      }
      return service.decorate(RequestCtxService.newDecorator(
          FleetConfigs.server(SampleFleet.fleet(), Role.GATEWAY.cliName()).openTelemetry(otel).build()));
    }

    /** The channel to a downstream: the probe inside reqctx's client interceptor, which budgets the call. */
    Channel client(@Nullable ManagedChannel channel, Role caller, Role callee) {
      requireNonNull(channel, "channel");
      ClientInterceptor probe = new SentBudgetProbe();
      if (mode == ChainMode.STATIC_TIMEOUTS) {
        return ClientInterceptors.intercept(channel, probe);
      }
      ClientConfig config = FleetConfigs.client(SampleFleet.fleet(), caller.cliName(), callee.cliName())
          .openTelemetry(otel)
          .build();
      return ClientInterceptors.intercept(channel, probe, RequestCtxClientInterceptor.create(config));
    }
  }
}
