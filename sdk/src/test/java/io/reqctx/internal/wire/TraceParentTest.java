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
import org.junit.jupiter.params.provider.ValueSource;

/** Vectors mostly from the W3C trace-context test suite (test/test.py), plus Level 2 flags. */
@ExtendWith(StrictLeakExtension.class)
class TraceParentTest {

  private static final String TRACE_ID = "12345678901234567890123456789012";
  private static final String PARENT_ID = "1234567890123456";
  private static final String VALID = "00-" + TRACE_ID + "-" + PARENT_ID + "-01";

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
  @ValueSource(
      strings = {" " + VALID, "\t" + VALID, VALID + " ", VALID + "\t", "\t " + VALID + " \t"})
  void optionalWhitespaceAroundTheValueIsIgnored(String header) {
    TraceParent parsed = TraceParent.parse(header);

    assertThat(parsed).isNotNull();
    assertThat(parsed.traceId()).isEqualTo(TRACE_ID);
    assertThat(parsed.encode()).isEqualTo(VALID);
  }

  @ParameterizedTest(name = "\"{0}\" is read as a future version")
  @ValueSource(
      strings = {
        "cc-" + TRACE_ID + "-" + PARENT_ID + "-01",
        "cc-" + TRACE_ID + "-" + PARENT_ID + "-01-what-the-future-will-be-like",
        "01-" + TRACE_ID + "-" + PARENT_ID + "-01",
        "fe-" + TRACE_ID + "-" + PARENT_ID + "-01-",
      })
  void higherVersionsAreReadAndDowngradedToVersion00(String header) {
    TraceParent parsed = TraceParent.parse(header);

    assertThat(parsed).isNotNull();
    assertThat(parsed.traceId()).isEqualTo(TRACE_ID);
    assertThat(parsed.parentId()).isEqualTo(PARENT_ID);
    assertThat(parsed.encode()).isEqualTo(VALID);
  }

  @ParameterizedTest(name = "\"{0}\" is invalid")
  @ValueSource(
      strings = {
        // version 00 is exactly 55 characters
        VALID + ".",
        VALID + "-what-the-future-will-be-like",
        // a higher version continues with "-" after the flags, and has at least 55 characters
        "cc-" + TRACE_ID + "-" + PARENT_ID + "-01.what-the-future-will-be-like",
        "cc-" + TRACE_ID + "-" + PARENT_ID + "-1",
        // version
        "ff-" + TRACE_ID + "-" + PARENT_ID + "-01",
        ".0-" + TRACE_ID + "-" + PARENT_ID + "-01",
        "0.-" + TRACE_ID + "-" + PARENT_ID + "-01",
        "000-" + TRACE_ID + "-" + PARENT_ID + "-01",
        "0000-" + TRACE_ID + "-" + PARENT_ID + "-01",
        "0-" + TRACE_ID + "-" + PARENT_ID + "-01",
        "0A-" + TRACE_ID + "-" + PARENT_ID + "-01",
        // trace id
        "00-00000000000000000000000000000000-" + PARENT_ID + "-01",
        "00-.2345678901234567890123456789012-" + PARENT_ID + "-01",
        "00-1234567890123456789012345678901.-" + PARENT_ID + "-01",
        "00-123456789012345678901234567890123-" + PARENT_ID + "-01",
        "00-1234567890123456789012345678901-" + PARENT_ID + "-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + PARENT_ID + "-01",
        // parent id
        "00-" + TRACE_ID + "-0000000000000000-01",
        "00-" + TRACE_ID + "-.234567890123456-01",
        "00-" + TRACE_ID + "-123456789012345.-01",
        "00-" + TRACE_ID + "-12345678901234567-01",
        "00-" + TRACE_ID + "-123456789012345-01",
        "00-" + TRACE_ID + "-00F067AA0BA902B7-01",
        // flags
        "00-" + TRACE_ID + "-" + PARENT_ID + "-.0",
        "00-" + TRACE_ID + "-" + PARENT_ID + "-0.",
        "00-" + TRACE_ID + "-" + PARENT_ID + "-001",
        "00-" + TRACE_ID + "-" + PARENT_ID + "-1",
        "00-" + TRACE_ID + "-" + PARENT_ID + "-0A",
        // separators, whitespace that is not OWS, emptiness
        "00_" + TRACE_ID + "-" + PARENT_ID + "-01",
        "00-" + TRACE_ID + "_" + PARENT_ID + "-01",
        "00-" + TRACE_ID + "-" + PARENT_ID + "_01",
        "\r\n" + VALID,
        VALID + "\n",
        "\u00A0" + VALID,
        "",
        " \t ",
      })
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

  @ParameterizedTest(name = "flags {0} are sent as {1}")
  @org.junit.jupiter.params.provider.CsvSource({
    "00, 00", "01, 01", "02, 02", "03, 03", "04, 00", "09, 01", "fe, 02", "ff, 03"
  })
  void undefinedFlagsAreReadButSentAsZero(String received, String sent) {
    TraceParent parsed = TraceParent.parse("00-" + TRACE_ID + "-" + PARENT_ID + "-" + received);

    assertThat(parsed).isNotNull();
    assertThat(parsed.flags()).isEqualTo(Integer.parseInt(received, 16));
    assertThat(parsed.encode()).endsWith("-" + sent);
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
