package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.reqctx.testing.StrictLeakExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Vectors from the W3C trace-context test suite (test/test.py) and the Level 2 text. Where the
 * suite still encodes the Level 1 key grammar, the Level 2 grammar wins (see docs/WIRE.md).
 */
@ExtendWith(StrictLeakExtension.class)
class TraceStateTest {

  private static String encoded(String... headerValues) {
    TraceState parsed = TraceState.parse(List.of(headerValues));
    assertThat(parsed).as("parse %s", List.of(headerValues)).isNotNull();
    return parsed.encode();
  }

  @Test
  void readsTheSpecExamples() {
    assertThat(encoded("rojo=00f067aa0ba902b7")).isEqualTo("rojo=00f067aa0ba902b7");
    assertThat(encoded("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"))
        .isEqualTo("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    TraceState state = TraceState.parse("congo=t61rcWkgMzE");
    assertThat(state).isNotNull();
    assertThat(state.get("congo")).isEqualTo("t61rcWkgMzE");
    assertThat(state.get("rojo")).isNull();
  }

  @ParameterizedTest(name = "\"{0}\" reads as foo=1,bar=2,baz=3")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#TRACESTATE_READ_AS_FOO_BAR_BAZ")
  void whitespaceAroundEntriesAndEmptyEntriesAreIgnored(String header) {
    assertThat(encoded(header)).isEqualTo("foo=1,bar=2,baz=3");
  }

  @ParameterizedTest(name = "{0}")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#TRACESTATE_LISTS")
  void repeatedHeadersAreOneListWithEmptyOnesIgnoredAndTheLeftMostEntryOfAKeyKept(W3cVectors.Lists lists) {
    TraceState parsed = TraceState.parse(lists.headers());

    assertThat(parsed == null ? "" : parsed.encode()).isEqualTo(lists.reads());
  }

  @Test
  void emptyInputIsTheEmptyList() {
    assertThat(TraceState.parse("")).isSameAs(TraceState.EMPTY);
    assertThat(TraceState.parse(List.of())).isSameAs(TraceState.EMPTY);
  }

  @Test
  void everyAllowedCharacterIsKept() {
    String key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
    String keyWithVendor = key + "@a-z0-9_-*/";
    StringBuilder value = new StringBuilder();
    for (char c = 0x20; c <= 0x7E; c++) {
      if (c != ',' && c != '=') {
        value.append(c);
      }
    }

    TraceState plain = TraceState.parse(key + "=" + value);
    TraceState vendor = TraceState.parse(keyWithVendor + "=" + value);

    assertThat(plain).isNotNull();
    assertThat(plain.get(key)).isEqualTo(value.toString()); // the leading space is part of it
    assertThat(vendor).isNotNull();
    assertThat(vendor.get(keyWithVendor)).isEqualTo(value.toString());
  }

  @ParameterizedTest(name = "key \"{0}\" is valid in Level 2")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#TRACESTATE_LEVEL2_KEYS")
  void keysOfTheLevel2GrammarAreAccepted(String key) {
    TraceState state = TraceState.parse(key + "=1,bar=2");

    assertThat(state).isNotNull();
    assertThat(state.get(key)).isEqualTo("1");
    assertThat(state.get("bar")).isEqualTo("2");
  }

  @Test
  void keyLengthIsLimitedTo256WhateverItsAtSigns() {
    assertThat(TraceState.isValidKey("z".repeat(256))).isTrue();
    assertThat(TraceState.isValidKey("z".repeat(257))).isFalse();
    assertThat(TraceState.isValidKey("t".repeat(241) + "@" + "v".repeat(14))).isTrue();
    assertThat(TraceState.isValidKey("t".repeat(242) + "@v")).isTrue();
    assertThat(TraceState.isValidKey("t@" + "v".repeat(15))).isTrue();
    assertThat(TraceState.isValidKey("t".repeat(200) + "@" + "v".repeat(56))).isFalse();
    assertThat(encoded("foo=1", "z".repeat(256) + "=1")).isEqualTo("foo=1," + "z".repeat(256) + "=1");
    assertThat(TraceState.parse(List.of("foo=1", "z".repeat(257) + "=1"))).isNull();
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#TRACESTATE_MALFORMED")
  void anEntryThatBreaksTheGrammarDropsTheWholeHeader(String header) {
    assertThat(TraceState.parse(header)).isNull();
    assertThat(TraceState.parse(List.of("ok=1", header))).isNull();
  }

  @Test
  void leadingSpacesBelongToTheValueTrailingOnesDoNot() {
    TraceState state = TraceState.parse("foo=  1  ,bar= x y");

    assertThat(state).isNotNull();
    assertThat(state.get("foo")).isEqualTo("  1");
    assertThat(state.get("bar")).isEqualTo(" x y");
    assertThat(state.encode()).isEqualTo("foo=  1,bar= x y");
  }

  @Test
  void valueLengthIsLimitedTo256() {
    assertThat(TraceState.isValidValue("v".repeat(256))).isTrue();
    assertThat(TraceState.isValidValue(" ".repeat(255) + "v")).isTrue();
    assertThat(TraceState.isValidValue("v".repeat(257))).isFalse();
    assertThat(TraceState.isValidValue("")).isFalse();
  }

  @Test
  void atMost32EntriesAllHeadersTogether() {
    TraceState state = TraceState.parse(List.of(W3cVectors.members(1, 16), W3cVectors.members(17, 32)));
    assertThat(state).isNotNull();
    assertThat(state.members()).hasSize(32);
    assertThat(state.get("bar01")).isEqualTo("01");
    assertThat(TraceState.parse(List.of(W3cVectors.members(1, 16), W3cVectors.members(17, 33)))).isNull();
  }

  @Test
  void hugeInputIsMalformedWithoutScanning() {
    assertThat(TraceState.parse(" ".repeat(TraceState.MAX_INPUT_LENGTH) + "a=1")).isNull();
    assertThat(TraceState.parse(",".repeat(TraceState.MAX_INPUT_LENGTH - 3) + "a=1")).isNotNull();
  }

  @Test
  void anUpdatedKeyMovesToTheFront() {
    TraceState state = TraceState.parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assertThat(state).isNotNull();

    assertThat(state.with("congo", "ucfJifl5GOE").encode())
        .isEqualTo("congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
    assertThat(state.with("new", "1").encode())
        .isEqualTo("new=1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assertThat(state.without("rojo").encode()).isEqualTo("congo=t61rcWkgMzE");
    assertThat(state.without("absent")).isSameAs(state);
  }

  @Test
  void addingToAFullListDropsTheRightMostEntry() {
    TraceState full = TraceState.parse(members(1, 32));
    assertThat(full).isNotNull();

    TraceState added = full.with("new", "1");

    assertThat(added.members()).hasSize(32);
    assertThat(added.members().get(0)).isEqualTo(new TraceState.Member("new", "1"));
    assertThat(added.get("bar32")).isNull();
    assertThat(added.get("bar31")).isEqualTo("31");
  }

  @Test
  void truncationRemovesLongEntriesFirstThenFromTheEnd() {
    String longValue = "L".repeat(150);
    TraceState state = TraceState.parse("a=1,long1=" + longValue + ",b=2,long2=" + longValue + ",c=3");
    assertThat(state).isNotNull();
    int full = state.encode().length();

    assertThat(state.truncatedTo(full)).isSameAs(state);
    // one long entry is enough: the right-most long one goes
    assertThat(state.truncatedTo(full - 1).encode()).isEqualTo("a=1,long1=" + longValue + ",b=2,c=3");
    // both long entries go before any short one
    assertThat(state.truncatedTo(11).encode()).isEqualTo("a=1,b=2,c=3");
    // then from the end
    assertThat(state.truncatedTo(10).encode()).isEqualTo("a=1,b=2");
    assertThat(state.truncatedTo(3).encode()).isEqualTo("a=1");
    assertThat(state.truncatedTo(2).isEmpty()).isTrue();
    assertThatIllegalArgumentException().isThrownBy(() -> state.truncatedTo(-1));
  }

  @Test
  void theDefaultPropagationLimitIsAtLeastWhatTheSpecAsks() {
    assertThat(TraceState.DEFAULT_PROPAGATION_LIMIT).isGreaterThanOrEqualTo(512);
  }

  @Test
  void constructorsRejectWhatTheGrammarRejects() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new TraceState.Member("Foo", "1"))
        .withMessageContaining("'Foo'")
        .withMessageContaining("a-z 0-9 _ - * / @");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new TraceState.Member("foo", "a,b"))
        .withMessageContaining("without ',' and '='");
    assertThatIllegalArgumentException()
        .isThrownBy(
            () -> new TraceState(List.of(new TraceState.Member("a", "1"), new TraceState.Member("a", "2"))))
        .withMessageContaining("'a' occurs twice");
    List<TraceState.Member> tooMany =
        IntStream.rangeClosed(1, 33).mapToObj(i -> new TraceState.Member("k" + i, "v")).toList();
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new TraceState(tooMany))
        .withMessageContaining("33 entries");
  }


  private static String members(int from, int to) {
    return W3cVectors.members(from, to);
  }
}
