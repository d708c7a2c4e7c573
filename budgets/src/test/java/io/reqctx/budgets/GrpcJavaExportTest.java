package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.Gson;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.reqctx.budgets.test.proto.ProbeReply;
import io.reqctx.budgets.test.proto.ProbeRequest;
import io.reqctx.budgets.test.proto.ProbeServiceGrpc;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The exported service config, loaded by grpc-java as it is, applied to real calls on loopback. */
class GrpcJavaExportTest {
  private static ProbeServer server;
  private static String exported;
  private static ManagedChannel configured;

  @BeforeAll
  static void start() throws Exception {
    server = new ProbeServer();
    Fleet fleet = FleetFiles.parse("probe.yaml", TestFleets.resource("/fleets/probe.yaml"), java.util.List.of());
    assertThat(FleetLint.check(fleet).findings()).isEmpty();
    exported = GrpcServiceConfigs.forClient(fleet, "client").get("probe");
    configured = channel(true);
    // Connect first, so the short exported timeouts measure calls, not a cold connection on a loaded machine.
    await().atMost(Duration.ofSeconds(30))
        .until(() -> configured.getState(true) == io.grpc.ConnectivityState.READY);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    configured.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.close();
  }

  @Test
  void exportIsTheServiceConfigOfTheSpec() {
    assertThat(exported).isEqualToIgnoringWhitespace("""
        {
          "methodConfig": [
            {"name": [{"service": "reqctx.budgets.test.v1.ProbeService", "method": "Hang"}], "timeout": "0.200000000s"},
            {"name": [{"service": "reqctx.budgets.test.v1.ProbeService", "method": "Flaky"}], "timeout": "1.500000000s",
             "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.010000000s", "maxBackoff": "0.020000000s",
                             "backoffMultiplier": 2.0, "retryableStatusCodes": ["UNAVAILABLE"]}},
            {"name": [{"service": "reqctx.budgets.test.v1.ProbeService", "method": "Hedged"}], "timeout": "1.500000000s",
             "hedgingPolicy": {"maxAttempts": 2, "hedgingDelay": "0.050000000s", "nonFatalStatusCodes": ["UNAVAILABLE"]}}
          ],
          "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1}
        }
        """);
  }

  private static ManagedChannel channel(boolean withServiceConfig) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext();
    if (withServiceConfig) {
      @SuppressWarnings("unchecked")
      Map<String, ?> config = new Gson().fromJson(exported, Map.class);
      builder.defaultServiceConfig(config).enableRetry();
    }
    return builder.build();
  }

  @Test
  void exportedTimeoutEndsACallTheServerNeverAnswers() throws Exception {
    ProbeServiceGrpc.ProbeServiceFutureStub stub = ProbeServiceGrpc.newFutureStub(configured); // no deadline of its own
    long started = System.nanoTime();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    var call = stub.hang(ProbeRequest.newBuilder().setKey("java-hang").build());
    call.addListener(() -> {
      try {
        call.get();
        failure.complete(null);
      } catch (ExecutionException e) {
        failure.complete(e.getCause());
      } catch (InterruptedException e) {
        failure.complete(e);
      }
    }, Runnable::run);
    await().atMost(Duration.ofSeconds(20)).until(failure::isDone);
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(Status.fromThrowable(failure.get()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(elapsedMs).as("a deadline never fires early").isGreaterThanOrEqualTo(200);
    Long arrivedWith = server.deadlineMs.get("java-hang");
    if (arrivedWith != null) { // on a loaded machine the deadline may pass before the request is written
      assertThat(arrivedWith).as("grpc-timeout sent with the call").isBetween(0L, 200L);
      await().atMost(Duration.ofSeconds(20)).until(() -> server.hangCancelled.containsKey("java-hang"));
    }
  }

  @Test
  void exportedRetryPolicyRetriesUnavailable() {
    ProbeReply reply = ProbeServiceGrpc.newBlockingStub(configured)
        .withDeadlineAfter(20, TimeUnit.SECONDS) // a bound for the test; the config's 1.5 s is shorter
        .flaky(ProbeRequest.newBuilder().setKey("java-flaky").setFailFirst(2).build());
    assertThat(reply.getAttempt()).isEqualTo(3);
    assertThat(server.requests.get("java-flaky")).hasValue(3);
    assertThat(server.deadlineMs.get("java-flaky")).as("the exported 1.5 s timeout, not the stub's 20 s")
        .isBetween(0L, 1500L);
  }

  @Test
  void withoutTheServiceConfigTheSameCallIsNotRetried() throws InterruptedException {
    ManagedChannel plain = channel(false);
    try {
      assertThatThrownBy(() -> ProbeServiceGrpc.newBlockingStub(plain).withDeadlineAfter(20, TimeUnit.SECONDS)
          .flaky(ProbeRequest.newBuilder().setKey("java-flaky-plain").setFailFirst(2).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      assertThat(server.requests.get("java-flaky-plain")).hasValue(1);
    } finally {
      plain.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void exportedHedgingPolicySendsASecondRequest() {
    ProbeReply reply = ProbeServiceGrpc.newBlockingStub(configured).withDeadlineAfter(20, TimeUnit.SECONDS)
        .hedged(ProbeRequest.newBuilder().setKey("java-hedged").build());
    assertThat(reply.getAttempt()).isEqualTo(2);
  }
}
