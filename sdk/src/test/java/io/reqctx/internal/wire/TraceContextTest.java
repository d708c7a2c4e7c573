package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class TraceContextTest {

  private static final String TRACE_ID = "12345678901234567890123456789012";
  private static final String VALID = "00-" + TRACE_ID + "-1234567890123456-03";

  @Test
  void aValidTraceparentKeepsTheTraceAndItsList() {
    TraceContext context = TraceContext.parse(List.of(VALID), List.of("foo=1", "bar=2"));

    assertThat(context).isNotNull();
    assertThat(context.traceParent().traceId()).isEqualTo(TRACE_ID);
    assertThat(context.traceState().encode()).isEqualTo("foo=1,bar=2");
  }

  @Test
  void anInvalidRepeatedOrMissingTraceparentMeansNoInboundTraceWhateverTheTracestate() {
    assertThat(TraceContext.parse(List.of(), List.of("foo=1"))).isNull();
    assertThat(TraceContext.parse(List.of(VALID, VALID), List.of("foo=1"))).isNull();
    assertThat(TraceContext.parse(List.of("ff" + VALID.substring(2)), List.of("foo=1"))).isNull();
    assertThat(
            TraceContext.parse(List.of("00-" + "0".repeat(32) + "-1234567890123456-01"), List.of()))
        .isNull();
  }

  @Test
  void aMalformedTracestateNeverCostsTheTrace() {
    TraceContext context = TraceContext.parse(List.of(VALID), List.of("foo=1,FOO=2"));

    assertThat(context).isNotNull();
    assertThat(context.traceParent().traceId()).isEqualTo(TRACE_ID);
    assertThat(context.traceState()).isSameAs(TraceState.EMPTY);
    assertThat(context.tracestateHeader(TraceState.DEFAULT_PROPAGATION_LIMIT)).isNull();
  }

  @Test
  void everyOutboundCallKeepsTraceFlagsAndListWithItsOwnParentId() {
    TraceContext inbound = TraceContext.parse(List.of(VALID), List.of("congo=t61rcWkgMzE"));
    assertThat(inbound).isNotNull();
    Set<String> parentIds = new HashSet<>();
    parentIds.add(inbound.traceParent().parentId());

    for (int i = 0; i < 3; i++) {
      TraceContext call = inbound.forOutboundCall();
      assertThat(call.traceParent().traceId()).isEqualTo(TRACE_ID);
      assertThat(call.traceParent().encode()).endsWith("-03");
      assertThat(call.tracestateHeader(TraceState.DEFAULT_PROPAGATION_LIMIT))
          .isEqualTo("congo=t61rcWkgMzE");
      parentIds.add(call.traceParent().parentId());
    }
    assertThat(parentIds).hasSize(4);
  }

  @Test
  void aSpanIdCanBeTheParentId() {
    TraceContext inbound = TraceContext.parse(List.of(VALID), List.of());
    assertThat(inbound).isNotNull();

    assertThat(inbound.withParentId("00f067aa0ba902b7").traceParent().encode())
        .isEqualTo("00-" + TRACE_ID + "-00f067aa0ba902b7-03");
  }

  @Test
  void aNewRootHasNoList() {
    TraceContext root = TraceContext.newRoot(true);

    assertThat(root.traceParent().sampled()).isTrue();
    assertThat(root.traceParent().randomTraceId()).isTrue();
    assertThat(root.traceState().isEmpty()).isTrue();
    assertThat(root.tracestateHeader(TraceState.DEFAULT_PROPAGATION_LIMIT)).isNull();
  }

  @Test
  void theSentListIsTruncatedToTheLimit() {
    TraceContext context = TraceContext.parse(List.of(VALID), List.of("a=1,b=2,c=3"));
    assertThat(context).isNotNull();

    assertThat(context.tracestateHeader(7)).isEqualTo("a=1,b=2");
    assertThat(context.tracestateHeader(2)).isNull();
  }
}
