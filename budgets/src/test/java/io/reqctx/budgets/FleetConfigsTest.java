package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.budgets.test.proto.ProbeRequest;
import io.reqctx.budgets.test.proto.ProbeServiceGrpc;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The interceptors' configs built from a fleet enforce the fleet's numbers. */
class FleetConfigsTest {
  private static final Fleet SAMPLE = FleetFiles.parse("fleet.yaml", TestFleets.sampleFleet(), TestFleets.sampleProtos());

  @Test
  void serverConfigCarriesTierTrustPolicyAndMethodBudgets() {
    ServerConfig order = FleetConfigs.server(SAMPLE, "order").openTelemetry(OpenTelemetry.noop()).build();
    assertThat(order.tier()).isSameAs(Tier.SERVICE);
    assertThat(order.trust()).isEqualTo(Trust.TRUSTED);
    assertThat(order.policy().minimumViableBudget()).isEqualTo(Duration.ofMillis(250));
    assertThat(order.methodBudget("reqctx.samples.v1.OrderService/GetOrder").methodBudget())
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(order.methodBudget("reqctx.samples.v1.OrderService/Other")).isNull();
    ServerConfig gateway = FleetConfigs.server(SAMPLE, "gateway").openTelemetry(OpenTelemetry.noop()).build();
    assertThat(gateway.trust()).isEqualTo(Trust.EDGE);
    assertThat(gateway.methodBudget("GET /orders/{id}").methodBudget()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void clientConfigCarriesTheCalleesBudgetsAndTheCallersPolicy() {
    ClientConfig toInventory = FleetConfigs.client(SAMPLE, "order", "inventory").openTelemetry(OpenTelemetry.noop()).build();
    assertThat(toInventory.calleeTier()).isSameAs(Tier.SERVICE);
    assertThat(toInventory.trusted()).isTrue();
    assertThat(toInventory.policy().minimumViableBudget()).isEqualTo(Duration.ofMillis(250)); // order's
    assertThat(toInventory.callee("reqctx.samples.v1.InventoryService/CheckStock").methodBudget())
        .isEqualTo(Duration.ofSeconds(2));
    assertThatThrownBy(() -> FleetConfigs.client(SAMPLE, "order", "billing"))
        .hasMessageContaining("has no service 'billing'");
  }

  @Test
  void longLivedMethodsAreExemptFromTheTierCapOnBothEnds() {
    Fleet fleet = FleetFiles.parse("long-lived.yaml", """
        fleet: t
        services:
          client:
            tier: gateway
            methods:
              GET /watch:
                budget: 2s
                calls: [shop.Config/Watch, shop.Config/Export]
          config:
            tier: service
            methods:
              shop.Config/Watch:
                longLived: true
              shop.Config/Export:
                longLived: {maxDuration: 10m}
        """, List.of());
    ServerConfig server = FleetConfigs.server(fleet, "config").openTelemetry(OpenTelemetry.noop()).build();
    ClientConfig client = FleetConfigs.client(fleet, "client", "config").openTelemetry(OpenTelemetry.noop()).build();
    assertThat(server.policy().inbound(null, server.tier(), server.methodBudget("shop.Config/Watch"))).isEmpty();
    assertThat(server.policy().inbound(null, server.tier(), server.methodBudget("shop.Config/Export")))
        .as("its own 10 minutes, above the service tier's 3 s").contains(Duration.ofMinutes(10));
    assertThat(client.callee("shop.Config/Watch").longLived()).isTrue();
    assertThat(client.callee("shop.Config/Export").methodBudget()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void interceptorsBuiltFromTheFleetSendAndReceiveTheFleetsBudgets() throws Exception {
    Fleet probe = FleetFiles.parse("probe.yaml", TestFleets.resource("/fleets/probe.yaml"), List.of());
    ServerConfig serverConfig = FleetConfigs.server(probe, "probe").openTelemetry(OpenTelemetry.noop()).build();
    ClientConfig clientConfig = FleetConfigs.client(probe, "client", "probe").openTelemetry(OpenTelemetry.noop()).build();
    try (ProbeServer server = new ProbeServer(RequestCtxServerInterceptor.create(serverConfig))) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try (CancellableCtx request = CancellableCtx.newRoot(Tier.GATEWAY).budget(Duration.ofSeconds(2)).open();
          Scope ignored = request.makeCurrent()) {
        ProbeServiceGrpc.ProbeServiceBlockingStub stub = ProbeServiceGrpc.newBlockingStub(
            ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(clientConfig)));
        // Flaky answers at once; it arrives with what the client interceptor sent, min(2 s - 45 ms reserve, 1.5 s),
        // less the time a cold connection took (no lower bound: the machine may be loaded)
        stub.flaky(ProbeRequest.newBuilder().setKey("fleet-flaky").build());
        assertThat(server.deadlineMs.get("fleet-flaky")).isBetween(0L, 1500L);
        // Hang never answers: the fleet's 200 ms budget ends it
        assertThatThrownBy(() -> stub.hang(ProbeRequest.newBuilder().setKey("fleet-hang").build()))
            .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        Long arrivedWith = server.deadlineMs.get("fleet-hang");
        if (arrivedWith != null) { // on a loaded machine the deadline may pass before the request is written
          assertThat(arrivedWith).isBetween(0L, 200L);
        }
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }
}
