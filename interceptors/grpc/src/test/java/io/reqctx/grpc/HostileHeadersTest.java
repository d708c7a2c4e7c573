package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.RequestCtx;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import io.reqctx.transport.Trust;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Raw hostile metadata sent by a grpc-java client (no deadline on the call, so the raw {@code
 * grpc-timeout} goes out as written) to a TRUSTED service: never INTERNAL, never a multi-line status,
 * and the next normal call still succeeds.
 */
@ExtendWith(StrictLeakExtension.class)
class HostileHeadersTest {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).maxEncodedLength(16).build();
  static final CtxKey<Long> PRIORITY = CtxKey.propagated("priority", KeyCodec.int64()).build();
  static final MethodDescriptor<String, String> ECHO = TestRpc.unary("hostile.Echo/Ctx");
  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  static Server server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    ServerConfig config = ServerConfig.builder(Tier.SERVICE, Trust.TRUSTED)
        .ticker(new io.reqctx.testing.FakeTicker()) // a budget reads back exactly as it was decided
        .acceptedKeys(TENANT, PRIORITY)
        .openTelemetry(TestRpc.openTelemetry(InMemorySpanExporter.create()))
        .build();
    server = TestRpc.start(TestRpc.service(ECHO, request -> {
      RequestCtx ctx = RequestCtx.current();
      return "budgetMs=" + ctx.remainingBudget().orElseThrow().toMillis() + ";hop=" + ctx.hopCount()
          + ";attempt=" + ctx.inboundAttempt() + ";id=" + ctx.requestId() + ";tenant=" + ctx.get(TENANT)
          + ";priority=" + ctx.get(PRIORITY) + ";trace=" + Span.current().getSpanContext().getTraceId()
          + ";tier=" + ctx.tier().name();
    }), RequestCtxServerInterceptor.create(config));
    channel = TestRpc.channelTo(server);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestRpc.shutdown(List.of(channel, server));
  }

  /** Sends one call with the raw headers; returns the reply, or the status when the call failed. */
  static Object call(Map<String, List<String>> raw) {
    Metadata headers = new Metadata();
    raw.forEach((name, values) -> values.forEach(
        value -> headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value)));
    try {
      return ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
          ECHO, CallOptions.DEFAULT, "x");
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  static Map<String, String> fields(Object reply) {
    assertThat(reply).isInstanceOf(String.class);
    Map<String, String> fields = new java.util.HashMap<>();
    for (String field : ((String) reply).split(";")) {
      String[] kv = field.split("=", 2);
      fields.put(kv[0], kv[1]);
    }
    return fields;
  }

  static void assertCleanAndServerStillServes(Object reply) {
    if (reply instanceof Status status) {
      assertThat(status.getCode()).isNotIn(Status.Code.INTERNAL, Status.Code.UNKNOWN);
      assertThat(String.valueOf(status.getDescription())).doesNotContain("\n").doesNotContain("Exception");
    }
    assertThat(fields(call(Map.of())).get("budgetMs")).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1S", "+5S", "123456789S", "5x", "5", "", "1.5S", " 5S", "5s"})
  void malformedGrpcTimeoutIsIgnoredAndTheTierCapApplies(String timeout) {
    Object reply = call(Map.of("grpc-timeout", List.of(timeout)));
    assertCleanAndServerStillServes(reply);
    assertThat(Long.parseLong(fields(reply).get("budgetMs"))).isEqualTo(3_000L);
  }

  @Test
  void repeatedGrpcTimeoutIsIgnored() {
    Object reply = call(Map.of("grpc-timeout", List.of("1m", "10S")));
    assertThat(Long.parseLong(fields(reply).get("budgetMs"))).isEqualTo(3_000L);
  }

  @Test
  void zeroGrpcTimeoutIsDeadlineExceededWithoutRunningTheHandler() {
    Object reply = call(Map.of("grpc-timeout", List.of("0n")));
    assertThat(reply).isInstanceOf(Status.class);
    assertThat(((Status) reply).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertCleanAndServerStillServes(reply);
  }

  @Test
  void grpcTimeoutAboveTheTierCapIsClampedToTheCap() {
    assertThat(Long.parseLong(fields(call(Map.of("grpc-timeout", List.of("10S")))).get("budgetMs")))
        .isEqualTo(3_000L);
    assertThat(Long.parseLong(fields(call(Map.of("grpc-timeout", List.of("99999999H")))).get("budgetMs")))
        .isEqualTo(3_000L);
    assertThat(Long.parseLong(fields(call(Map.of("grpc-timeout", List.of("1500m")))).get("budgetMs")))
        .isPositive().isLessThanOrEqualTo(1_500L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"00-zz-00f067aa0ba902b7-01", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"})
  void malformedTraceparentStartsANewTrace(String traceparent) {
    Map<String, String> fields = fields(call(Map.of("traceparent", List.of(traceparent))));
    assertThat(fields.get("trace")).hasSize(32).isNotEqualTo("00000000000000000000000000000000");
  }

  @Test
  void duplicateTraceparentStartsANewTrace() {
    Map<String, String> fields = fields(call(Map.of("traceparent", List.of(TRACEPARENT, TRACEPARENT))));
    assertThat(fields.get("trace")).isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(fields(call(Map.of("traceparent", List.of(TRACEPARENT)))).get("trace"))
        .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
  }

  @Test
  void oversizedOrUndecodableTypedValuesAreDropped() {
    long droppedBefore = TENANT.droppedValues() + PRIORITY.droppedValues();
    assertThat(fields(call(Map.of("reqctx-key-tenant", List.of("a".repeat(17))))).get("tenant")).isEqualTo("null");
    assertThat(fields(call(Map.of("reqctx-key-tenant", List.of("%ZZ")))).get("tenant")).isEqualTo("null");
    assertThat(fields(call(Map.of("reqctx-key-tenant", List.of("%C3%28")))).get("tenant")).isEqualTo("null");
    assertThat(fields(call(Map.of("reqctx-key-priority", List.of("high")))).get("priority")).isEqualTo("null");
    assertThat(TENANT.droppedValues() + PRIORITY.droppedValues()).isEqualTo(droppedBefore + 4);
    Map<String, String> good = fields(call(Map.of("reqctx-key-tenant", List.of("acme"), "reqctx-key-priority", List.of("9"))));
    assertThat(good).containsEntry("tenant", "acme").containsEntry("priority", "9");
  }

  @ParameterizedTest
  @ValueSource(strings = {"has space", "quote\"", "semi;colon", "%41"})
  void invalidRequestIdIsReplacedByAGeneratedOne(String requestId) {
    assertThat(fields(call(Map.of("x-request-id", List.of(requestId)))).get("id")).matches("[0-9a-f]{32}");
  }

  @Test
  void overlongRequestIdIsReplacedAndAValidOneIsKept() {
    assertThat(fields(call(Map.of("x-request-id", List.of("a".repeat(129))))).get("id")).matches("[0-9a-f]{32}");
    assertThat(fields(call(Map.of("x-request-id", List.of("order-123:abc")))).get("id")).isEqualTo("order-123:abc");
  }

  @Test
  void hopCountAboveTheLimitIsRejectedAsALoop() {
    Object reply = call(Map.of("reqctx-hop", List.of("99999")));
    assertThat(reply).isInstanceOf(Status.class);
    assertThat(((Status) reply).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(((Status) reply).getDescription()).contains("hop count 99999", "limit 32");
    assertCleanAndServerStillServes(reply);
  }

  @ParameterizedTest
  @ValueSource(strings = {"123456789", "-1", "1e3", "abc"})
  void malformedHopCountIsIgnored(String hop) {
    assertThat(fields(call(Map.of("reqctx-hop", List.of(hop)))).get("hop")).isEqualTo("0");
  }

  @Test
  void malformedAttemptAndUnknownTierAreIgnored() {
    Map<String, String> fields = fields(call(Map.of(
        "reqctx-attempt", List.of("0"), "reqctx-tier", List.of("Nope!"))));
    assertThat(fields).containsEntry("attempt", "1").containsEntry("tier", "service");
    assertThat(fields(call(Map.of("reqctx-attempt", List.of("3")))).get("attempt")).isEqualTo("3");
  }
}
