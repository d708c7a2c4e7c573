package io.reqctx.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Scope;
import io.reqctx.CancellableCtx;
import io.reqctx.CtxKey;
import io.reqctx.CtxObserver;
import io.reqctx.KeyCodec;
import io.reqctx.LeakReport;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.grpc.RequestCtxClientInterceptor;
import io.reqctx.grpc.RequestCtxServerInterceptor;
import io.reqctx.testing.ContextHygieneExtension;
import io.reqctx.transport.ClientConfig;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * ValueLeak on a real gRPC server: a handler that keeps its request's ctx, or one of its typed values,
 * past the end of the request is reported like reqctx's own leaks; requests that keep nothing are
 * not. Leaks on purpose, so the strict extension is not used.
 */
@ExtendWith(ContextHygieneExtension.class)
class ValueLeakTest {
  private static final CtxKey<String> TENANT = CtxKey.propagated("chaos-tenant", KeyCodec.string()).build();
  private static final String KEEP = "chaos.Leak/Keep";
  /** What the handler keeps: the leaks under test. */
  private static final List<Object> kept = new CopyOnWriteArrayList<>();

  private final Telemetry telemetry = new Telemetry();
  private final List<LeakReport> leaks = new CopyOnWriteArrayList<>();
  private Chaos chaos;
  private Server server;
  private ManagedChannel channel;
  private CtxObserver.Registration observer;

  @BeforeEach
  void start() throws Exception {
    observer = CtxObserver.register(new CtxObserver() {
      @Override
      public void onLeak(LeakReport leak) {
        leaks.add(leak);
      }
    });
    chaos = Chaos.builder().seed(9).rule(ChaosRule.onServer("chaos.Leak/*", 1, Fault.valueLeak(TENANT)))
        .openTelemetry(telemetry.sdk).build();
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED).acceptedKeys(TENANT)
        .openTelemetry(telemetry.sdk).build();
    ServerServiceDefinition service = ServerServiceDefinition.builder("chaos.Leak")
        .addMethod(Rpc.unary(KEEP), ServerCalls.asyncUnaryCall((request, responses) -> {
          RequestCtx ctx = RequestCtx.current();
          switch (request) {
            case "ctx" -> kept.add(ctx);
            case "value" -> kept.add(ctx.get(TENANT));
            default -> { }
          }
          responses.onNext("ok");
          responses.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(service, ChaosServerInterceptor.wrap(chaos, RequestCtxServerInterceptor.create(config))))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    kept.clear();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    chaos.close();
    observer.close();
    telemetry.close();
  }

  private void call(String requestId, String keep) {
    Channel withReqctx = ClientInterceptors.intercept(channel, RequestCtxClientInterceptor.create(
        ClientConfig.builder(Tier.SERVICE).trusted(true).openTelemetry(telemetry.sdk).build()));
    String tenant = new StringBuilder("tenant-of-").append(requestId).toString();
    try (CancellableCtx request = CancellableCtx.newRoot(Tier.SERVICE).requestId(requestId)
            .budget(Duration.ofSeconds(10)).value(TENANT, tenant).open();
        Scope s = request.makeCurrent()) {
      ClientCalls.blockingUnaryCall(withReqctx, Rpc.unary(KEEP), io.grpc.CallOptions.DEFAULT, keep);
    }
  }

  /** Runs full collections until an object made unreachable now has been collected (bounded). */
  private static void collectGarbage() {
    WeakReference<Object> canary = new WeakReference<>(new Object());
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      System.gc();
      return canary.get() == null;
    });
    System.gc();
  }

  private List<LeakReport> valueLeaks() {
    return leaks.stream().filter(l -> l.kind() == LeakReport.Kind.VALUE_RETAINED_AFTER_CTX_END).toList();
  }

  @Test
  void aCtxOrValueKeptPastItsRequestIsReportedAndRequestsThatKeepNothingAreNot() {
    List<String> clean = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      clean.add("clean-" + i);
      call("clean-" + i, "nothing");
    }
    call("keeps-ctx", "ctx");
    call("keeps-value", "value");
    await().atMost(Duration.ofSeconds(30)).until(() -> chaos.stats().valueWatchesPending() == 22); // all ended

    collectGarbage();
    int reported = chaos.checkValueLeaks(Duration.ZERO);

    // The kept ctx holds its values too: ctx and tenant of keeps-ctx, the tenant of keeps-value.
    assertThat(reported).isEqualTo(3);
    String tail = " was still reachable \\d+ms after the request ended";
    assertThat(valueLeaks()).extracting(LeakReport::description).satisfiesExactlyInAnyOrder(
        d -> assertThat(d).matches("request keeps-ctx, tier service: its ctx" + tail),
        d -> assertThat(d).matches("request keeps-ctx, tier service: the value of key chaos-tenant" + tail),
        d -> assertThat(d).matches("request keeps-value, tier service: the value of key chaos-tenant" + tail));
    assertThat(valueLeaks()).noneMatch(l -> clean.stream().anyMatch(id -> l.description().contains("request " + id + ",")));
    assertThat(valueLeaks()).allSatisfy(l -> assertThat(l.message()).doesNotContain("tenant-of-")); // never the value
    assertThat(telemetry.counter("reqctx.chaos.value_leaks", Attributes.of(ChaosTelemetry.RETAINED, "ctx"))).isEqualTo(1);
    assertThat(telemetry.counter("reqctx.chaos.value_leaks", Attributes.of(ChaosTelemetry.RETAINED, "value"))).isEqualTo(2);
    assertThat(chaos.stats().valueLeaks()).isEqualTo(3);
    assertThat(chaos.stats().valueWatchesPending()).isZero();
    assertThat(chaos.stats().injected()).containsEntry("value_leak/server", 22L);
  }

  @Test
  void requestsThatEndedMoreRecentlyThanTheMinimumAgeWaitForTheNextCheck() {
    call("keeps-ctx-later", "ctx");
    await().atMost(Duration.ofSeconds(30)).until(() -> chaos.stats().valueWatchesPending() == 1);

    assertThat(chaos.checkValueLeaks(Duration.ofHours(1))).isZero();
    assertThat(chaos.stats().valueWatchesPending()).isEqualTo(1);
    assertThat(chaos.checkValueLeaks(Duration.ZERO)).isEqualTo(2);
    assertThat(chaos.stats().valueWatchesPending()).isZero();
  }
}
