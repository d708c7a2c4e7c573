package io.reqctx.armeria;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.util.TimeoutMode;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.grpc.GrpcServiceBuilder;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.reqctx.Tier;
import io.reqctx.grpc.CallShapesContract;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link CallShapesContract} on Armeria's {@code GrpcService} (blocking task executor on, Armeria's own
 * request timeout off as Armeria requires for long streams), plus the deadline-ownership rules that only
 * Armeria has: its request timeout is folded into the call's budget and reqctx's alarm is the one
 * timer, so a deadline always reaches the client as {@code DEADLINE_EXCEEDED}.
 */
@ExtendWith(StrictLeakExtension.class)
class ArmeriaCallShapesTest extends CallShapesContract {
  private static final Tier TIER = Tier.define("shapes-armeria", 151, CAP);
  /** A request header that makes a decorator set Armeria's request timeout, as a route's configuration would. */
  private static final Metadata.Key<String> ARMERIA_TIMEOUT =
      Metadata.Key.of("test-armeria-request-timeout-ms", Metadata.ASCII_STRING_MARSHALLER);

  private Server server;
  private ManagedChannel channel;

  @Override
  protected Tier tier() {
    return TIER;
  }

  @Override
  protected ServerInterceptor reqctxInterceptor(ServerConfig config) {
    return RequestCtxGrpcService.newInterceptor(config);
  }

  @Override
  protected Channel startServer(List<ServerServiceDefinition> services) {
    GrpcServiceBuilder grpc = GrpcService.builder().useBlockingTaskExecutor(true).useClientTimeoutHeader(false);
    services.forEach(grpc::addService);
    server = Server.builder()
        .http(new InetSocketAddress("127.0.0.1", 0))
        .requestTimeout(Duration.ZERO)
        .service(grpc.build(), delegate -> (ctx, req) -> {
          String millis = req.headers().get(ARMERIA_TIMEOUT.name());
          if (millis != null) {
            ctx.setRequestTimeout(TimeoutMode.SET_FROM_START, Duration.ofMillis(Long.parseLong(millis)));
          }
          return delegate.serve(ctx, req);
        })
        .build();
    server.start().join();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.activeLocalPort()).usePlaintext().build();
    return channel;
  }

  @Override
  protected void stopServer() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop().join();
  }

  /** Where two timers (Armeria's request timeout set to reqctx's deadline) raced, bidi clients got CANCELLED. */
  @Test
  void aDeadlineOnABidiCallReachesTheClientAsDeadlineExceededEveryTime() throws Exception {
    for (int i = 0; i < 10; i++) {
      Status status = bidiUntilClosed(CallOptions.DEFAULT.withDeadlineAfter(150, TimeUnit.MILLISECONDS), new Metadata());
      assertThat(status.getCode()).as("run %d: %s", i, status).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }
  }

  /** Armeria's request timeout for the route, shorter than the budget, is folded in: reqctx fires it. */
  @Test
  void armeriasShorterRequestTimeoutBecomesTheCallsDeadlineAndEndsItAsDeadlineExceeded() throws Exception {
    Metadata headers = new Metadata();
    headers.put(ARMERIA_TIMEOUT, "200");
    for (int i = 0; i < 5; i++) {
      Status status = bidiUntilClosed(CallOptions.DEFAULT, headers);
      assertThat(status.getCode()).as("run %d: %s", i, status).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(status.getDescription()).as("reqctx's alarm ended it").startsWith("reqctx: deadline exceeded");
    }
  }

  /** A bidi call to {@code shapes.Real} that the client never ends; returns how it closed. */
  private Status bidiUntilClosed(CallOptions options, Metadata headers) throws Exception {
    CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall<String, String> call = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers))
        .newCall(method("shapes.Real", Shape.BIDI_STREAMING), options);
    StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<>() {
      @Override
      public void onNext(String value) {}

      @Override
      public void onError(Throwable t) {
        closed.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.complete(Status.OK);
      }
    });
    requests.onNext("deadline-race/bidi_streaming/" + System.nanoTime());
    return closed.get(20, TimeUnit.SECONDS);
  }
}
