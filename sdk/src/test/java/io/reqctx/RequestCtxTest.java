package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.reqctx.testing.StrictLeakExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class RequestCtxTest {
  private static final CtxKey<String> USER = CtxKey.local("user");
  private static final CtxKey<Long> QUOTA = CtxKey.local("quota");
  private static final SpanContext SPAN = SpanContext.create(
      "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault());

  @Test
  void currentIsNeverNullAndIsRootOutsideARequest() {
    RequestCtx root = RequestCtx.current();
    assertThat(root).isSameAs(RequestCtx.root());
    assertThat(root.deadline()).isEmpty();
    assertThat(root.isCancelled()).isFalse();
    assertThat(root.requestId()).isEmpty();
    assertThat(root.spanContext().isValid()).isFalse();
  }

  @Test
  void withReturnsANewCtxAndLeavesTheOriginalUnchanged() {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      RequestCtx base = scope.ctx();
      RequestCtx withUser = base.with(USER, "ada");
      RequestCtx both = withUser.with(QUOTA, 5L).with(USER, "grace");

      assertThat(base.get(USER)).isNull();
      assertThat(withUser.get(USER)).isEqualTo("ada");
      assertThat(both.get(USER)).isEqualTo("grace");
      assertThat(both.get(QUOTA)).isEqualTo(5L);
      Map<String, Object> visited = new LinkedHashMap<>();
      both.forEachValue((k, v) -> visited.put(k.name(), v));
      assertThat(visited).containsOnly(Map.entry("user", "grace"), Map.entry("quota", 5L));
    }
  }

  @Test
  void derivedCtxSharesCancellation() {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      RequestCtx derived = scope.ctx().with(USER, "ada").withOutgoingAttempt(2);
      scope.cancel();
      assertThat(derived.isCancelled()).isTrue();
      assertThat(derived.outgoingAttempt()).isEqualTo(2);
      assertThat(derived.inboundAttempt()).as("the inbound attempt is kept").isEqualTo(1);
    }
  }

  @Test
  void keysCompareByIdentityNotName() {
    CtxKey<String> otherUser = CtxKey.local("user");
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).value(USER, "ada").open()) {
      assertThat(scope.ctx().get(otherUser)).isNull();
    }
  }

  @Test
  void ctxLivesInsideTheOpenTelemetryContextTogetherWithTheSpan() {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).spanContext(SPAN).open();
        Scope ignored = Context.current().with(Span.wrap(SPAN)).with(scope.ctx()).makeCurrent()) {
      assertThat(RequestCtx.current()).isSameAs(scope.ctx());
      assertThat(Span.current().getSpanContext()).isEqualTo(SPAN);
      assertThat(RequestCtx.current().spanContext().getTraceId()).isEqualTo(SPAN.getTraceId());
    }
  }

  @Test
  void scopeTakesTheCurrentSpanWhenNoneIsGiven() {
    try (Scope span = Span.wrap(SPAN).makeCurrent(); CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open()) {
      assertThat(scope.ctx().spanContext()).isEqualTo(SPAN);
    }
  }

  @Test
  void currentIsOnlyCorrectOnTheAttachingThread() throws Exception {
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
      RequestCtx elsewhere = CompletableFuture.supplyAsync(RequestCtx::current).get();
      assertThat(elsewhere).isSameAs(RequestCtx.root());
      assertThat(RequestCtx.current()).isSameAs(scope.ctx());
    }
  }

  @Test
  void generatedRequestIdsDifferAndGivenOnesAreKept() {
    try (CancellableCtx a = CancellableCtx.newRoot(Tier.SERVICE).open();
        CancellableCtx b = CancellableCtx.newRoot(Tier.SERVICE).open();
        CancellableCtx c = CancellableCtx.newRoot(Tier.SERVICE).requestId("abc").hopCount(3).inboundAttempt(2).open()) {
      assertThat(a.ctx().requestId()).isNotEmpty().isNotEqualTo(b.ctx().requestId());
      assertThat(c.ctx().requestId()).isEqualTo("abc");
      assertThat(c.ctx().hopCount()).isEqualTo(3);
      assertThat(c.ctx().inboundAttempt()).isEqualTo(2);
    }
  }

  @Test
  void toStringRedactsSensitiveValues() {
    CtxKey<String> secret = CtxKey.propagated("auth-token-test", KeyCodec.string()).sensitive().build();
    try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(1))
        .value(secret, "hunter2").value(USER, "ada").open()) {
      assertThat(scope.ctx().toString()).contains("auth-token-test=<redacted>").contains("user=ada")
          .doesNotContain("hunter2");
    }
  }
}
