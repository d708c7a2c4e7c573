package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.reqctx.testing.StrictLeakExtension;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Vectors mostly from the W3C trace-context test suite (test/test.py), plus Level 2 flags. */
@ExtendWith(StrictLeakExtension.class)
class TraceParentTest {

  private static final String TRACE_ID = W3cVectors.TRACE_ID;
  private static final String PARENT_ID = W3cVectors.PARENT_ID;
  private static final String VALID = W3cVectors.VALID;

  @Test
  void readsTheSpecExample() {
    TraceParent parsed =
        TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

    assertThat(parsed).isNotNull();
    assertThat(parsed.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(parsed.parentId()).isEqualTo("00f067aa0ba902b7");
    assertThat(parsed.flags()).isEqualTo(1);
    assertThat(parsed.sampled()).isTrue();
    assertThat(parsed.randomTraceId()).isFalse();
    assertThat(parsed.encode()).isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }

  @ParameterizedTest(name = "\"{0}\" is read despite its whitespace")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#TRACEPARENT_OWS")
  void optionalWhitespaceAroundTheValueIsIgnored(String header) {
    TraceParent parsed = TraceParent.parse(header);

    assertThat(parsed).isNotNull();
    assertThat(parsed.traceId()).isEqualTo(TRACE_ID);
    assertThat(parsed.encode()).isEqualTo(VALID);
  }

  @ParameterizedTest(name = "\"{0}\" is read as a future version")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#TRACEPARENT_FUTURE")
  void higherVersionsAreReadAndDowngradedToVersion00(String header) {
    TraceParent parsed = TraceParent.parse(header);

    assertThat(parsed).isNotNull();
    assertThat(parsed.traceId()).isEqualTo(TRACE_ID);
    assertThat(parsed.parentId()).isEqualTo(PARENT_ID);
    assertThat(parsed.encode()).isEqualTo(VALID);
  }

  @ParameterizedTest(name = "\"{0}\" is invalid")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#TRACEPARENT_INVALID")
  void invalidValuesAreRejected(String header) {
    assertThat(TraceParent.parse(header)).isNull();
  }

  @Test
  void nullIsInvalid() {
    assertThat(TraceParent.parse((CharSequence) null)).isNull();
  }

  @Test
  void lengthIsLimitedBeforeScanning() {
    String longFuture = "cc-" + TRACE_ID + "-" + PARENT_ID + "-01-";
    String atLimit = longFuture + "x".repeat(TraceParent.MAX_LENGTH - longFuture.length());
    assertThat(TraceParent.parse(atLimit)).isNotNull();
    assertThat(TraceParent.parse(atLimit + "x")).isNull();
    assertThat(TraceParent.parse(" ".repeat(64 * 1024) + VALID)).isNull();
  }

  @Test
  void aRepeatedHeaderIsInvalidEvenWhenBothValuesAgree() {
    assertThat(TraceParent.parse(List.of(VALID))).isNotNull();
    assertThat(TraceParent.parse(List.of(VALID, VALID))).isNull();
    assertThat(TraceParent.parse(List.of(VALID, "00-" + TRACE_ID + "-" + PARENT_ID + "-00"))).isNull();
    assertThat(TraceParent.parse(List.<String>of())).isNull();
  }

  @Test
  void theRandomFlagIsKeptWhenTheParentIdChanges() {
    TraceParent parsed = TraceParent.parse("00-" + TRACE_ID + "-" + PARENT_ID + "-02");

    assertThat(parsed).isNotNull();
    assertThat(parsed.randomTraceId()).isTrue();
    assertThat(parsed.sampled()).isFalse();
    TraceParent next = parsed.withFreshParentId();
    assertThat(next.randomTraceId()).isTrue();
    assertThat(next.encode()).startsWith("00-" + TRACE_ID + "-").endsWith("-02");
  }

  @ParameterizedTest(name = "{0}")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#FLAGS")
  void undefinedFlagsAreReadButSentAsZero(W3cVectors.Flags flags) {
    TraceParent parsed = TraceParent.parse("00-" + TRACE_ID + "-" + PARENT_ID + "-" + flags.received());

    assertThat(parsed).isNotNull();
    assertThat(parsed.flags()).isEqualTo(Integer.parseInt(flags.received(), 16));
    assertThat(parsed.encode()).endsWith("-" + flags.sent());
  }

  @Test
  void aFreshParentIdKeepsTraceAndFlagsAndDiffersEachTime() {
    TraceParent inbound = TraceParent.parse("00-" + TRACE_ID + "-" + PARENT_ID + "-03");
    assertThat(inbound).isNotNull();
    Set<String> parentIds = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      TraceParent call = inbound.withFreshParentId();
      assertThat(call.traceId()).isEqualTo(TRACE_ID);
      assertThat(call.flags()).isEqualTo(3);
      assertThat(call.parentId()).isNotEqualTo(PARENT_ID);
      assertThat(TraceParent.isValidParentId(call.parentId())).isTrue();
      parentIds.add(call.parentId());
    }
    assertThat(parentIds).hasSize(1000);
  }

  @Test
  void aNewRootHasRandomIdsAndTheRandomFlag() {
    Set<String> traceIds = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      TraceParent root = TraceParent.newRoot(i % 2 == 0);
      assertThat(root.encode()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[23]");
      assertThat(root.randomTraceId()).isTrue();
      assertThat(root.sampled()).isEqualTo(i % 2 == 0);
      assertThat(TraceParent.parse(root.encode())).isEqualTo(root);
      traceIds.add(root.traceId());
    }
    assertThat(traceIds).hasSize(1000);
  }

  @Test
  void aGivenParentIdReplacesTheCallersOne() {
    TraceParent inbound = TraceParent.parse(VALID);
    assertThat(inbound).isNotNull();

    assertThat(inbound.withParentId("00f067aa0ba902b7").encode())
        .isEqualTo("00-" + TRACE_ID + "-00f067aa0ba902b7-01");
  }

  @Test
  void constructorRejectsWhatTheGrammarRejects() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new TraceParent("0".repeat(32), PARENT_ID, 1))
        .withMessageContaining("32 lower-case hex digits, not all zeros");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new TraceParent(TRACE_ID, "ABCDEF0123456789", 1))
        .withMessageContaining("16 lower-case hex digits");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new TraceParent(TRACE_ID, PARENT_ID, 256))
        .withMessageContaining("256");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> TraceParent.parse(VALID).withParentId("0000000000000000"));
  }

}
