package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.testing.integration.TestServiceClient;
import io.grpc.testing.integration.TestServiceImpl;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.Tier;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * grpc-java's official interop cases ({@code TestServiceClient} against {@code TestServiceImpl} with its
 * {@code interceptors()}) through reqctx: once against a server behind reqctx's server interceptor, and
 * once through a reqctx gateway hop — a generic proxy behind the server interceptor that forwards every
 * call with the client interceptor — in front of that server. Each case must pass as it does without
 * reqctx: reqctx adds deadlines, headers and scopes, and changes nothing a gRPC client can observe.
 */
class InteropThroughReqctxTest {
  static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  static final OpenTelemetrySdk otel = TestRpc.openTelemetry(spans);
  static ScheduledExecutorService executor;
  static Server backend;
  static Server gateway;
  static ManagedChannel gatewayToBackend;

  @BeforeAll
  static void start() throws IOException {
    executor = Executors.newScheduledThreadPool(2);
    backend = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(
            ServerInterceptors.intercept(new TestServiceImpl(executor).bindService(), TestServiceImpl.interceptors()),
            RequestCtxServerInterceptor.create(
                ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).openTelemetry(otel).build())))
        .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
        .build()
        .start();
    gatewayToBackend = TestRpc.channelTo(backend);
    Channel forwarding = ClientInterceptors.intercept(gatewayToBackend, RequestCtxClientInterceptor.create(
        ClientConfig.builder(Tier.SERVICE).trusted(true).openTelemetry(otel).build()));
    gateway = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .fallbackHandlerRegistry(new ForwardEverything(forwarding))
        .intercept(RequestCtxServerInterceptor.create(ServerConfig.builder(Tier.GATEWAY, Trust.EDGE).openTelemetry(otel).build()))
        .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter())
        .build()
        .start();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(gatewayToBackend, gateway, backend));
    executor.shutdownNow();
    otel.close();
  }

  @ParameterizedTest(name = "{0} against a server behind reqctx")
  @ValueSource(strings = {"empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong",
      "empty_stream", "custom_metadata", "status_code_and_message", "special_status_message", "unimplemented_method",
      "unimplemented_service", "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server"})
  void interopCasePassesDirectly(String testCase) {
    spans.reset();
    assertThatCode(() -> run(testCase, backend.getPort())).doesNotThrowAnyException();
    // No such service: grpc answers before any interceptor runs.
    if (!testCase.equals("unimplemented_service") && reachesTheServer(testCase)) {
      eventually(() -> assertThat(spans.getFinishedSpanItems()).as("calls went through reqctx")
          .anySatisfy(span -> assertThat(span.getAttributes().asMap().toString()).contains("reqctx.tier=service")));
    }
  }

  @ParameterizedTest(name = "{0} through a reqctx gateway hop")
  @ValueSource(strings = {"empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong",
      "empty_stream", "custom_metadata", "status_code_and_message", "special_status_message", "unimplemented_method",
      "unimplemented_service", "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server"})
  void interopCasePassesThroughAGatewayHop(String testCase) {
    spans.reset();
    assertThatCode(() -> run(testCase, gateway.getPort())).doesNotThrowAnyException();
    if (!reachesTheServer(testCase)) {
      return;
    }
    eventually(() -> assertThat(spans.getFinishedSpanItems()).as("the gateway opened a scope and forwarded with a budget")
        .anySatisfy(span -> assertThat(span.getAttributes().asMap().toString()).contains("reqctx.tier=gateway"))
        .anySatisfy(span -> assertThat(span.getAttributes().asMap().toString()).contains("reqctx.callee.tier=service")));
  }

  /** Cases whose client gives up at once (a 1 ms deadline, a cancel right after start) may never be sent. */
  private static boolean reachesTheServer(String testCase) {
    return !testCase.equals("cancel_after_begin") && !testCase.equals("timeout_on_sleeping_server");
  }

  /** Spans end when the server side of a call ends, which may be after the client saw its status. */
  private static void eventually(org.awaitility.core.ThrowingRunnable assertion) {
    org.awaitility.Awaitility.await().pollDelay(java.time.Duration.ZERO).pollInterval(java.time.Duration.ofMillis(10))
        .atMost(java.time.Duration.ofSeconds(10)).untilAsserted(assertion);
  }

  /** Runs one case with grpc-java's own interop client, as its command line would. */
  private static void run(String testCase, int port) throws Exception {
    TestServiceClient.main(new String[] {
        "--server_host=127.0.0.1", "--server_port=" + port, "--use_tls=false", "--test_case=" + testCase});
  }

  /**
   * A gateway that forwards any method, whatever its messages, to one channel: request and response
   * messages travel as bytes, headers and trailers as they came, and flow control follows the slower
   * side (as grpc-java's proxy example does).
   */
  static final class ForwardEverything extends HandlerRegistry {
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };

    private final Channel next;

    ForwardEverything(Channel next) {
      this.next = next;
    }

    @Override
    public @Nullable ServerMethodDefinition<?, ?> lookupMethod(String methodName, @Nullable String authority) {
      MethodDescriptor<byte[], byte[]> method = MethodDescriptor.newBuilder(BYTES, BYTES)
          .setFullMethodName(methodName)
          .setType(MethodDescriptor.MethodType.UNKNOWN)
          .build();
      return ServerMethodDefinition.create(method, new Forward());
    }

    /** Starts the forwarded call inside the server call's scope, so the client interceptor sees its ctx. */
    private final class Forward implements ServerCallHandler<byte[], byte[]> {
      @Override
      public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> serverCall, Metadata headers) {
        ClientCall<byte[], byte[]> clientCall = next.newCall(serverCall.getMethodDescriptor(), CallOptions.DEFAULT);
        Relay relay = new Relay(serverCall, clientCall);
        clientCall.start(relay.responses, headers);
        serverCall.request(1);
        clientCall.request(1);
        return relay.requests;
      }
    }
  }

  /** Relays one call in both directions, asking each side for the next message once the other can take it. */
  private static final class Relay {
    final ServerCall<byte[], byte[]> serverCall;
    final ClientCall<byte[], byte[]> clientCall;
    final Requests requests = new Requests();
    final Responses responses = new Responses();

    Relay(ServerCall<byte[], byte[]> serverCall, ClientCall<byte[], byte[]> clientCall) {
      this.serverCall = serverCall;
      this.clientCall = clientCall;
    }

    /** From the caller to the backend. */
    final class Requests extends ServerCall.Listener<byte[]> {
      private boolean waitingForBackend; // guarded by this

      @Override
      public void onMessage(byte[] message) {
        clientCall.sendMessage(message);
        synchronized (this) {
          if (clientCall.isReady()) {
            serverCall.request(1);
          } else {
            waitingForBackend = true;
          }
        }
      }

      @Override
      public void onHalfClose() {
        clientCall.halfClose();
      }

      @Override
      public void onCancel() {
        clientCall.cancel("the caller cancelled", null);
      }

      @Override
      public void onReady() {
        responses.callerReady();
      }

      synchronized void backendReady() {
        if (waitingForBackend) {
          waitingForBackend = false;
          serverCall.request(1);
        }
      }
    }

    /** From the backend to the caller. */
    final class Responses extends ClientCall.Listener<byte[]> {
      private boolean waitingForCaller; // guarded by this

      @Override
      public void onHeaders(Metadata headers) {
        serverCall.sendHeaders(headers);
      }

      @Override
      public void onMessage(byte[] message) {
        serverCall.sendMessage(message);
        synchronized (this) {
          if (serverCall.isReady()) {
            clientCall.request(1);
          } else {
            waitingForCaller = true;
          }
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        serverCall.close(status, trailers);
      }

      @Override
      public void onReady() {
        requests.backendReady();
      }

      synchronized void callerReady() {
        if (waitingForCaller) {
          waitingForCaller = false;
          clientCall.request(1);
        }
      }
    }
  }
}
