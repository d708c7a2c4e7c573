package io.reqctx.internal.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * The W3C Trace Context and Baggage vectors, in one place: the codec tests ({@code TraceParentTest},
 * {@code TraceStateTest}, {@code BaggageTest}) read them here, and the transport conformance tests of
 * reqctx-grpc and reqctx-armeria (through this module's test jar) send {@link #hopCases()} — the same
 * vectors as what one hop receives and what it must forward — through real servers.
 *
 * <p>Sources: the W3C trace-context test suite (test/test.py), the Trace Context Level 2 text (whose
 * key grammar wins over the suite's Level 1 cases) and the W3C Baggage text.
 */
public final class W3cVectors {
  private W3cVectors() {}

  public static final String TRACE_ID = "12345678901234567890123456789012";
  public static final String PARENT_ID = "1234567890123456";
  /** A valid, sampled {@code traceparent}. */
  public static final String VALID = "00-" + TRACE_ID + "-" + PARENT_ID + "-01";

  // ---- traceparent ----

  /** Valid values with optional whitespace around them; each reads as {@link #VALID}. */
  public static final List<String> TRACEPARENT_OWS =
      List.of(" " + VALID, "\t" + VALID, VALID + " ", VALID + "\t", "\t " + VALID + " \t");

  /** Higher versions, read as version 00 with {@link #TRACE_ID}, {@link #PARENT_ID} and flags 01. */
  public static final List<String> TRACEPARENT_FUTURE =
      List.of(
          "cc-" + TRACE_ID + "-" + PARENT_ID + "-01",
          "cc-" + TRACE_ID + "-" + PARENT_ID + "-01-what-the-future-will-be-like",
          "01-" + TRACE_ID + "-" + PARENT_ID + "-01",
          "fe-" + TRACE_ID + "-" + PARENT_ID + "-01-");

  /** Invalid values: the hop starts a new trace and drops {@code tracestate}. */
  public static final List<String> TRACEPARENT_INVALID =
      List.of(
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
          " \t ");

  /**
   * A flags byte as received and as forwarded: sampled ({@code 01}) and random ({@code 02}) are
   * kept, undefined bits are sent as zero.
   */
  public record Flags(String received, String sent) {}

  public static final List<Flags> FLAGS =
      List.of(
          new Flags("00", "00"), new Flags("01", "01"), new Flags("02", "02"), new Flags("03", "03"),
          new Flags("04", "00"), new Flags("09", "01"), new Flags("fe", "02"), new Flags("ff", "03"));

  // ---- tracestate ----

  /** Whitespace around entries and empty entries; each reads as {@code foo=1,bar=2,baz=3}. */
  public static final List<String> TRACESTATE_READ_AS_FOO_BAR_BAZ =
      List.of(
          "foo=1 \t , \t bar=2, \t baz=3",
          "foo=1\t \t,\t \tbar=2,\t \tbaz=3",
          " foo=1,bar=2,baz=3 ",
          "\tfoo=1,bar=2,baz=3\t",
          ",foo=1,,bar=2, ,baz=3,");

  /**
   * Repeated headers and what they read as, all values together.
   *
   * @param headers the values, in arrival order
   * @param reads what the list reads as (and is forwarded as); empty for an empty list
   */
  public record Lists(String rule, List<String> headers, String reads) {
    @Override
    public String toString() {
      return rule + ": " + show(headers) + " -> \"" + reads + "\"";
    }
  }

  public static final List<Lists> TRACESTATE_LISTS =
      List.of(
          new Lists("an empty header alone", List.of(""), ""),
          new Lists("an empty header last", List.of("foo=1", ""), "foo=1"),
          new Lists("an empty header first", List.of("", "foo=1"), "foo=1"),
          new Lists("whitespace-only headers", List.of(" ", "foo=1", "\t"), "foo=1"),
          new Lists("arrival order", List.of("foo=1,bar=2", "rojo=1,congo=2", "baz=3"),
              "foo=1,bar=2,rojo=1,congo=2,baz=3"),
          new Lists("a duplicate of the same value", List.of("foo=1,foo=1"), "foo=1"),
          new Lists("a duplicate key", List.of("foo=1,foo=2"), "foo=1"),
          new Lists("a duplicate key across headers", List.of("foo=1", "foo=2"), "foo=1"),
          new Lists("a duplicate key among others", List.of("foo=1,bar=2,foo=3,baz=4"), "foo=1,bar=2,baz=4"),
          new Lists("32 entries across headers",
              List.of(members(1, 10), members(11, 20), members(21, 30), members(31, 32)), members(1, 32)),
          new Lists("33 entries across headers",
              List.of(members(1, 10), members(11, 20), members(21, 30), members(31, 33)), ""));

  /** Keys of the Level 2 grammar that Level 1 rejected; {@code <key>=1,bar=2} keeps both entries. */
  public static final List<String> TRACESTATE_LEVEL2_KEYS =
      List.of(
          "foo@bar@baz",
          "foo@",
          "foo@@bar",
          "1abc",
          "fw529a3039@dt",
          "a",
          "0",
          "t".repeat(242) + "@v",
          "t@" + "v".repeat(15),
          "z".repeat(256));

  /** Headers with an entry that breaks the grammar: the whole list is dropped, the trace kept. */
  public static final List<String> TRACESTATE_MALFORMED =
      List.of(
          "foo =1",
          "FOO=1",
          "foo.bar=1",
          "@foo=1,bar=2",
          "_foo=1",
          "*foo=1",
          "foo=bar=baz",
          "foo=,bar=3",
          "foo= ",
          "foo=\t1",
          "foo=1\t2",
          "foo=é",
          "foo=1\u0000",
          "foo",
          "=1",
          "foo=1;bar=2,baz",
          "z".repeat(257) + "=1");

  // ---- baggage ----

  public static final List<Lists> BAGGAGE_LISTS =
      List.of(
          new Lists("the spec example with properties",
              List.of("key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue"),
              "key1=value1;property1;property2,key2=value2,key3=value3;propertyKey=propertyValue"),
          new Lists("percent-encoded UTF-8, forwarded as received",
              List.of("userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false"),
              "userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false"),
          new Lists("repeated headers, whitespace and empty entries",
              List.of("userId =   alice", "", "serverNode = DF%2028, isProduction = false", " , "),
              "userId=alice,serverNode=DF%2028,isProduction=false"),
          new Lists("duplicate keys kept in order", List.of("k=1,j=2", "k=3"), "k=1,j=2,k=3"),
          new Lists("properties without whitespace", List.of("k=v;p1;p2=x; p3 = y ;\tp4\t"), "k=v;p1;p2=x;p3=y;p4"),
          new Lists("an empty value is a value", List.of("k=,j= ;p"), "k=,j=;p"),
          new Lists("65 entries: the first 64 kept", List.of(bagMembers(1, 40), bagMembers(41, 65)), bagMembers(1, 64)));

  /** Members that break the grammar; {@code a=1,<member>,z=26} reads as {@code a=1,z=26}. */
  public static final List<String> BAGGAGE_INVALID_MEMBERS =
      List.of(
          "bad key=1",
          "k=a b",
          "k=100%",
          "k=%4",
          "k=%zz",
          "k=é",
          "k=a\"b",
          "k=a\\b",
          "k=\u0001",
          "=1",
          "k",
          "k=1;",
          "k=1;=x",
          "k=1;p=a b",
          "k=1;p=%g0",
          "k=1 x",
          "k\u00A0=1");

  /** A value as it travels and as it decodes; {@code k=<value>} is forwarded unchanged. */
  public record Decoded(String value, String decoded) {}

  public static final List<Decoded> BAGGAGE_VALUES =
      List.of(
          new Decoded("a+b", "a+b"), // a plus sign, not a space: this is not form encoding
          new Decoded("a=b=c", "a=b=c"), // the spec allows any number of '=' in a value
          new Decoded("%41%62", "Ab"),
          new Decoded("%e2%82%ac", "€"), // lower-case hex is accepted
          new Decoded("%FF", "\uFFFD"), // not UTF-8: the replacement character, as the spec requires
          new Decoded("%C3", "\uFFFD"),
          new Decoded("x%C3%28", "x\uFFFD("));

  // ---- what one hop receives and forwards ----

  /**
   * One rule as a hop sees it: the W3C headers it receives and what its outbound call must carry.
   *
   * @param keepsTrace whether the next hop gets {@link #TRACE_ID} (otherwise a new trace, without
   *     {@code tracestate})
   * @param flags the flags the next hop gets when the trace is kept
   * @param tracestate the {@code tracestate} the next hop gets, or null for none
   * @param baggage the {@code baggage} the next hop gets, or null for none
   */
  public record HopCase(
      String rule,
      List<String> traceparent,
      List<String> tracestate,
      List<String> baggage,
      boolean keepsTrace,
      @Nullable String flags,
      @Nullable String tracestateSent,
      @Nullable String baggageSent) {

    /** Whether every value is something an HTTP/1.1, HTTP/2 and gRPC client can send at all. */
    public boolean sendable() {
      return allSendable(traceparent) && allSendable(tracestate) && allSendable(baggage);
    }

    /** Whether a value starts or ends with whitespace (which some transports trim). */
    public boolean hasEdgeWhitespace() {
      return hasEdgeWhitespace(traceparent) || hasEdgeWhitespace(tracestate) || hasEdgeWhitespace(baggage);
    }

    private static boolean allSendable(List<String> values) {
      return values.stream().allMatch(W3cVectors::sendable);
    }

    private static boolean hasEdgeWhitespace(List<String> values) {
      return values.stream().anyMatch(v -> !v.isEmpty() && (Ows.isOws(v.charAt(0)) || Ows.isOws(v.charAt(v.length() - 1))));
    }

    @Override
    public String toString() {
      StringBuilder out = new StringBuilder(rule);
      if (!traceparent.isEmpty()) {
        out.append(" | traceparent ").append(show(traceparent));
      }
      if (!tracestate.isEmpty()) {
        out.append(" | tracestate ").append(show(tracestate));
      }
      if (!baggage.isEmpty()) {
        out.append(" | baggage ").append(show(baggage));
      }
      return out.toString();
    }
  }

  /** Every rule above as what one hop receives and what its next hop must get. */
  public static List<HopCase> hopCases() {
    List<HopCase> cases = new ArrayList<>();
    List<String> foo = List.of("foo=1");
    cases.add(new HopCase("valid", List.of(VALID), foo, List.of(), true, "01", "foo=1", null));
    for (String value : TRACEPARENT_OWS) {
      cases.add(new HopCase("whitespace around traceparent", List.of(value), foo, List.of(), true, "01", "foo=1", null));
    }
    for (String value : TRACEPARENT_FUTURE) {
      cases.add(new HopCase("future version, sent as 00", List.of(value), foo, List.of(), true, "01", "foo=1", null));
    }
    for (String value : TRACEPARENT_INVALID) {
      cases.add(new HopCase("invalid traceparent: new trace, tracestate dropped", List.of(value), foo, List.of(),
          false, null, null, null));
    }
    cases.add(new HopCase("repeated traceparent: new trace", List.of(VALID, VALID), foo, List.of(), false, null, null, null));
    cases.add(new HopCase("no traceparent: new trace, tracestate dropped", List.of(), foo, List.of(), false, null, null, null));
    for (Flags flags : FLAGS) {
      cases.add(new HopCase("flags " + flags.received() + " sent as " + flags.sent(),
          List.of("00-" + TRACE_ID + "-" + PARENT_ID + "-" + flags.received()), List.of(), List.of(),
          true, flags.sent(), null, null));
    }
    for (String value : TRACESTATE_READ_AS_FOO_BAR_BAZ) {
      cases.add(new HopCase("tracestate whitespace and empty entries", List.of(VALID), List.of(value), List.of(),
          true, "01", "foo=1,bar=2,baz=3", null));
    }
    for (Lists lists : TRACESTATE_LISTS) {
      cases.add(new HopCase("tracestate " + lists.rule(), List.of(VALID), lists.headers(), List.of(),
          true, "01", lists.reads().isEmpty() ? null : lists.reads(), null));
    }
    for (String key : TRACESTATE_LEVEL2_KEYS) {
      cases.add(new HopCase("tracestate Level 2 key", List.of(VALID), List.of(key + "=1,bar=2"), List.of(),
          true, "01", key + "=1,bar=2", null));
    }
    for (String value : TRACESTATE_MALFORMED) {
      cases.add(new HopCase("malformed tracestate: dropped, trace kept", List.of(VALID), List.of("ok=1", value), List.of(),
          true, "01", null, null));
    }
    for (Lists lists : BAGGAGE_LISTS) {
      cases.add(new HopCase("baggage " + lists.rule(), List.of(VALID), List.of(), lists.headers(),
          true, "01", null, lists.reads().isEmpty() ? null : lists.reads()));
    }
    for (String member : BAGGAGE_INVALID_MEMBERS) {
      cases.add(new HopCase("invalid baggage member dropped alone", List.of(VALID), List.of(),
          List.of("a=1," + member + ",z=26"), true, "01", null, "a=1,z=26"));
    }
    for (Decoded value : BAGGAGE_VALUES) {
      cases.add(new HopCase("baggage value forwarded as received", List.of(VALID), List.of(),
          List.of("k=" + value.value()), true, "01", null, "k=" + value.value()));
    }
    return List.copyOf(cases);
  }

  /** Printable ASCII, space and tab: what HTTP/1.1, HTTP/2 and gRPC clients let an application send. */
  public static boolean sendable(String value) {
    return value.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c <= 0x7E));
  }

  public static String members(int from, int to) {
    return IntStream.rangeClosed(from, to)
        .mapToObj(i -> String.format("bar%02d=%02d", i, i))
        .collect(Collectors.joining(","));
  }

  public static String bagMembers(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> "k" + i + "=v").collect(Collectors.joining(","));
  }

  /** {@code values} with control characters and non-ASCII escaped, for test names. */
  public static String show(List<String> values) {
    return values.stream().map(W3cVectors::show).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String show(String value) {
    StringBuilder out = new StringBuilder("\"");
    String shown = value.length() > 80 ? value.substring(0, 40) + "…(" + value.length() + " chars)" : value;
    for (char c : shown.toCharArray()) {
      if (c == '\t') {
        out.append("\\t");
      } else if (c < 0x20 || (c > 0x7E && c != '…')) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
