package io.reqctx.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.testing.FakeTicker;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Latency before a gRPC handler, on a fake ticker: the handler starts only once the delay has passed,
 * runs inside the request's scope, and never starts for a call that ended during the delay.
 */
@ExtendWith(StrictLeakExtension.class)
class GrpcDelayedStartTest {
  private static final String SLOW = "chaos.Delayed/Slow";
  private static final FakeTicker ticker = new FakeTicker();
  private static final AtomicInteger started = new AtomicInteger();
  private static Chaos chaos;
  private static Server server;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    chaos = Chaos.builder()
        .seed(1)
        .ticker(ticker)
        .executor(Runnable::run) // the handler starts on the thread that advances the ticker
        .rule(ChaosRule.onServer(SLOW, 1, Fault.latency(Duration.ofSeconds(5), Duration.ofSeconds(5))))
        .openTelemetry(OpenTelemetry.noop())
        .build();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(OpenTelemetry.noop()).build();
    ServerServiceDefinition service = ServerServiceDefinition.builder("chaos.Delayed")
        .addMethod(Rpc.unary(SLOW), ServerCalls.asyncUnaryCall((request, responses) -> {
          started.incrementAndGet();
          responses.onNext(RequestCtx.current().requestId()); // proves the handler runs in the request's ctx
          responses.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(service, ChaosServerInterceptor.wrap(chaos, RequestCtxServerInterceptor.create(config))))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    chaos.close();
  }

  private static long injected() {
    return chaos.stats().injected().getOrDefault("latency/server", 0L);
  }

  @Test
  void theHandlerStartsOnlyAfterTheDelayAndRunsInTheRequestsCtx() {
    long before = injected();
    int startedBefore = started.get();
    CompletableFuture<Rpc.Result> call = Rpc.call(channel, Rpc.unary(SLOW), "delayed-1", "go", Duration.ofSeconds(30));

    await().atMost(Duration.ofSeconds(30)).until(() -> injected() == before + 1); // the call is held
    assertThat(started.get()).isEqualTo(startedBefore);
    assertThat(call).isNotDone();

    ticker.advance(Duration.ofSeconds(5));

    Rpc.Result result = call.orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(result.code()).isEqualTo(Status.Code.OK);
    assertThat(result.body()).isEqualTo("delayed-1");
    assertThat(started.get()).isEqualTo(startedBefore + 1);
  }

  @Test
  void aCallThatEndsDuringTheDelayNeverStartsItsHandler() {
    long before = injected();
    int startedBefore = started.get();
    CompletableFuture<Rpc.Result> call = Rpc.call(channel, Rpc.unary(SLOW), "delayed-2", "go", Duration.ofMillis(300));

    Rpc.Result result = call.orTimeout(30, TimeUnit.SECONDS).join(); // the caller's deadline ends it
    assertThat(result.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(injected()).isEqualTo(before + 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> ticker.pendingAlarms() == 0); // its alarm was dropped
    ticker.advance(Duration.ofSeconds(5));

    assertThat(started.get()).isEqualTo(startedBefore);
  }
}
