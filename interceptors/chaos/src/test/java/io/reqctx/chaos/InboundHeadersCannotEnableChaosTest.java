package io.reqctx.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.common.Attributes;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Chaos acts only where the server's configuration puts a rule: a peer that sends headers naming
 * chaos, faults, fractions or seeds, and any request ids it likes, gets no fault on a method whose
 * rule has fraction 0 or that has no rule, while the configured method next to it does get its fault
 * (so the wiring under test does inject).
 */
@ExtendWith(StrictLeakExtension.class)
class InboundHeadersCannotEnableChaosTest {
  private static final String OFF = "chaos.Headers/Off";
  private static final String UNRULED = "chaos.Headers/Unruled";
  private static final String ON = "chaos.Headers/On";
  private static final int CALLS = 100;
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final List<String> CHAOS_LOOKING_HEADERS = List.of(
      "reqctx-chaos", "x-reqctx-chaos", "reqctx-chaos-fault", "reqctx-chaos-fraction", "reqctx-chaos-seed",
      "x-chaos", "chaos", "x-envoy-fault-abort-request", "x-envoy-fault-delay-request");

  private static Telemetry telemetry;
  private static Chaos chaos;
  private static Server server;
  private static ManagedChannel channel;

  @BeforeAll
  static void startServer() throws Exception {
    telemetry = new Telemetry();
    chaos = Chaos.builder()
        .seed(7)
        .rule(ChaosRule.onServer(OFF, 0, Fault.cancelStorm(Duration.ZERO, Duration.ZERO)))
        .rule(ChaosRule.onServer(OFF, 0, Fault.deadlineSkew(0, Duration.ZERO)))
        .rule(ChaosRule.onServer(ON, 1, Fault.latency(Duration.ofMillis(1), Duration.ofMillis(2))))
        .openTelemetry(telemetry.sdk)
        .build();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.EDGE).openTelemetry(telemetry.sdk).build();
    ServerServiceDefinition service = ServerServiceDefinition.builder("chaos.Headers")
        .addMethod(Rpc.unary(OFF), ServerCalls.asyncUnaryCall(InboundHeadersCannotEnableChaosTest::echo))
        .addMethod(Rpc.unary(UNRULED), ServerCalls.asyncUnaryCall(InboundHeadersCannotEnableChaosTest::echo))
        .addMethod(Rpc.unary(ON), ServerCalls.asyncUnaryCall(InboundHeadersCannotEnableChaosTest::echo))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(service,
            ChaosServerInterceptor.wrap(chaos, RequestCtxServerInterceptor.create(config))))
        .addStreamTracerFactory(ChaosServerInterceptor.deadlineSkewTracer(chaos))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopServer() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    chaos.close();
    telemetry.close();
  }

  private static void echo(String request, io.grpc.stub.StreamObserver<String> responses) {
    responses.onNext(request);
    responses.onCompleted();
  }

  @Test
  void headersThatNameChaosAndChosenRequestIdsGetNoFaultWhereTheConfigurationPutsNone() {
    Channel withHeaders = withChaosLookingHeaders();
    List<Rpc.Result> results = new ArrayList<>();
    for (int batch = 0; batch < CALLS / 10; batch++) { // 10 at a time: a loaded machine stays inside the 3 s cap
      int first = batch * 10;
      IntStream.range(first, first + 10)
          .mapToObj(i -> Rpc.call(withHeaders, Rpc.unary(i % 2 == 0 ? OFF : UNRULED), "peer-chosen-" + i, "hello-" + i, DEADLINE))
          .toList()
          .forEach(call -> results.add(call.join()));
    }

    assertThat(results).allSatisfy(result -> assertThat(result.code()).as(result.description()).isEqualTo(Status.Code.OK));
    assertThat(results.stream().map(Rpc.Result::body).toList())
        .containsExactlyElementsOf(IntStream.range(0, CALLS).mapToObj(i -> "hello-" + i).toList());
    assertThat(chaos.stats().injected()).isEmpty();
    assertThat(chaos.stats().missed()).isEmpty();
    assertThat(telemetry.counter("reqctx.chaos.faults", Attributes.empty())).isZero();

    // The same server, the same headers: the method a rule covers gets its fault, every time.
    assertThat(Rpc.call(withHeaders, Rpc.unary(ON), "peer-chosen-on", "on", DEADLINE).join().code()).isEqualTo(Status.Code.OK);
    assertThat(chaos.stats().injected()).containsEntry("latency/server", 1L);
    assertThat(telemetry.counter("reqctx.chaos.faults", Attributes.empty())).isEqualTo(1);
  }

  private static Channel withChaosLookingHeaders() {
    Metadata headers = new Metadata();
    for (String name : CHAOS_LOOKING_HEADERS) {
      for (String value : List.of("1", "on", "true", "cancel_storm", "fraction=1", "seed=7", "100")) {
        headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
      }
    }
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
