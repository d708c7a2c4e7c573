package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.reqctx.testing.StrictLeakExtension;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test of reqctx's W3C codecs against OpenTelemetry Java's {@code
 * W3CTraceContextPropagator} and {@code W3CBaggagePropagator} (the propagators reqctx used before
 * it had its own codecs). Both read the same headers; the test compares what each one reads and
 * what each one forwards, and fails on every difference that {@link Divergence} does not list. Each
 * listed divergence names the spec text that reqctx follows.
 *
 * <p>OpenTelemetry is fed repeated headers joined with {@code ,} (RFC 9110 field combination), as
 * reqctx's transports fed it. What OpenTelemetry forwards is what its {@code inject} writes for the
 * context its {@code extract} produced; what reqctx forwards is the codecs' encoding of what they
 * read. Both are compared after reading them back with reqctx's parser, so a mere difference in
 * spelling (OpenTelemetry re-encodes {@code a=b} as {@code a%3Db}) is not a divergence.
 */
@ExtendWith(StrictLeakExtension.class)
class W3cPropagatorDifferentialTest {

  /** Every intended difference from OpenTelemetry 1.65, with the spec text reqctx follows. */
  enum Divergence {
    TRACEPARENT_OWS(
        "Trace Context Level 2 §3.2.2; RFC 9110 §5.5 (leading and trailing whitespace is not part"
            + " of a field value); W3C test suite test_traceparent_ows_handling",
        "reqctx ignores spaces and tabs around traceparent and continues the trace; OpenTelemetry"
            + " rejects the value and starts a new trace (with gRPC metadata and HTTP/2 nothing"
            + " trims them before the propagator)"),
    TRACEPARENT_LENGTH_LIMIT(
        "Trace Context Level 2 §3.2.4: pass-through services should expect larger headers in"
            + " future versions and only disallow prohibitively large ones",
        "reqctx reads at most 512 characters of a future-version traceparent; OpenTelemetry has no"
            + " limit"),
    TRACEPARENT_UNDEFINED_FLAGS(
        "Trace Context Level 2 §3.2.2.5.3 Other Flags: vendors MUST set them to zero",
        "reqctx forwards only the sampled and random flags; OpenTelemetry forwards the received"
            + " byte, undefined bits included"),
    TRACESTATE_OWS_AT_EDGES(
        "Trace Context Level 2 §3.3.2: spaces and horizontal tabs surrounding list-members are"
            + " ignored; W3C test suite test_tracestate_ows_handling",
        "reqctx ignores whitespace before the first and after the last entry; OpenTelemetry drops"
            + " the whole tracestate"),
    TRACESTATE_EMPTY_ENTRIES(
        "Trace Context Level 2 §3.3.2: empty and whitespace-only list members are allowed, vendors"
            + " MUST accept empty tracestate headers; RFC 9110 §5.6.1 (empty list elements);"
            + " W3C test suite test_tracestate_empty_header",
        "reqctx skips empty entries, including an empty header among repeated ones; OpenTelemetry"
            + " drops the whole tracestate when an empty entry is not the last"),
    TRACESTATE_LEVEL2_KEYS(
        "Trace Context Level 2 §3.3.2.2.1 Key: key = (lcalpha / DIGIT) 0*255(keychar), keychar"
            + " includes @, at most 256 characters",
        "reqctx accepts keys such as foo@bar@baz, foo@, 1abc, a 242-character part before @ and"
            + " a 15-character part after it; OpenTelemetry enforces the Level 1 tenant@system"
            + " grammar and drops the whole tracestate"),
    TRACESTATE_DUPLICATE_KEYS(
        "Trace Context Level 2 §3.3.3 (one entry per key, the left-most is the latest position)"
            + " and §3.5 (vendors MAY discard duplicate keys; SHOULD NOT delete keys they did not"
            + " generate)",
        "reqctx keeps the left-most entry of a repeated key and every other entry; OpenTelemetry"
            + " drops the whole tracestate"),
    TRACESTATE_PROPAGATION_LIMIT(
        "Trace Context Level 2 §3.3.3.1 Limits: propagate at least 512 characters; truncate whole"
            + " entries, entries over 128 characters first, then from the end",
        "reqctx sends at most TraceState.DEFAULT_PROPAGATION_LIMIT (2048) characters, truncated as"
            + " the spec asks; OpenTelemetry forwards every entry"),
    BAGGAGE_DUPLICATE_KEYS(
        "W3C Baggage §3.3.1.1: uniqueness of keys is not guaranteed and the order of duplicate"
            + " entries SHOULD be preserved",
        "reqctx keeps every entry of a repeated key, in order; OpenTelemetry keeps the last one"),
    BAGGAGE_INVALID_PERCENT_ESCAPES(
        "W3C Baggage §3.3.1.3 value: the percent sign MUST be percent-encoded (RFC 3986 §2.1);"
            + " §3.5: an entry not in the format MAY be removed",
        "reqctx drops an entry whose value or property has a % not followed by two hex digits;"
            + " OpenTelemetry keeps it and loses characters (100% reads as 100, %4 as empty)"),
    BAGGAGE_PROPERTY_GRAMMAR(
        "W3C Baggage §3.3.1: property = key OWS \"=\" OWS value / key OWS, key = token, value ="
            + " *baggage-octet; §3.5: an entry not in the format MAY be removed",
        "reqctx drops an entry whose properties break the grammar (an empty property key, a space"
            + " inside a property value); OpenTelemetry keeps it"),
    BAGGAGE_PROPERTIES_FORWARDED(
        "W3C Baggage §3.3.1.4 property and §3.5: a system forwards the entries it received",
        "reqctx forwards properties as received; OpenTelemetry percent-encodes the property text"
            + " when it forwards it, so the next hop reads one different property (p;q=1 arrives"
            + " as p%3Bq%3D1)"),
    BAGGAGE_SIZE_LIMIT(
        "W3C Baggage §3.3.2 Limits: when over 64 entries or 8192 bytes a platform MAY drop entries"
            + " until both limits hold, and MUST NOT propagate partial entries",
        "reqctx drops the entries that do not fit and keeps the rest; OpenTelemetry drops all"
            + " baggage when the header is longer than 8192 characters");

    final String spec;
    final String difference;

    Divergence(String spec, String difference) {
      this.spec = spec;
      this.difference = difference;
    }
  }

  /** One request's W3C headers; each list holds every value of that header, in arrival order. */
  record Case(
      String name,
      List<String> traceparent,
      List<String> tracestate,
      List<String> baggage,
      Set<Divergence> expected) {

    @Override
    public String toString() {
      return name;
    }
  }

  /** OpenTelemetry logs a warning with a stack trace for every baggage member it skips. */
  private static final Logger OTEL_BAGGAGE_PARSER =
      Logger.getLogger("io.opentelemetry.api.baggage.propagation.Parser");

  private static @Nullable Level otelBaggageParserLevel;

  @BeforeAll
  static void quietOpenTelemetryParser() {
    otelBaggageParserLevel = OTEL_BAGGAGE_PARSER.getLevel();
    OTEL_BAGGAGE_PARSER.setLevel(Level.OFF);
  }

  @AfterAll
  static void restoreOpenTelemetryParser() {
    OTEL_BAGGAGE_PARSER.setLevel(otelBaggageParserLevel);
  }

  private static final String TP = "00-12345678901234567890123456789012-1234567890123456-01";
  private static final String TRACE_ID = "12345678901234567890123456789012";
  private static final String PARENT_ID = "1234567890123456";

  static Stream<Case> table() {
    return Stream.of(
        // traceparent
        trace("plain", TP, null),
        trace("sampled off", "00-" + TRACE_ID + "-" + PARENT_ID + "-00", null),
        trace("random flag kept", "00-" + TRACE_ID + "-" + PARENT_ID + "-03", null),
        trace("future version", "cc-" + TRACE_ID + "-" + PARENT_ID + "-01-what-the-future-will-be-like", null),
        trace("future version, bad tail", "cc-" + TRACE_ID + "-" + PARENT_ID + "-01.future", null),
        trace("version ff", "ff-" + TRACE_ID + "-" + PARENT_ID + "-01", null),
        trace("version 00 too long", TP + "-", null),
        trace("zero trace id", "00-" + "0".repeat(32) + "-" + PARENT_ID + "-01", "foo=1"),
        trace("zero parent id", "00-" + TRACE_ID + "-" + "0".repeat(16) + "-01", null),
        trace("upper-case id", "00-" + TRACE_ID.replace('1', 'A') + "-" + PARENT_ID + "-01", null),
        trace("upper-case flags", "00-" + TRACE_ID + "-" + PARENT_ID + "-0A", null),
        trace("repeated traceparent", List.of(TP, TP), List.of("foo=1"), Set.of()),
        trace("leading space", " " + TP, "foo=1", Divergence.TRACEPARENT_OWS),
        trace("trailing tab", TP + "\t", null, Divergence.TRACEPARENT_OWS),
        trace("both", "\t " + TP + " \t", null, Divergence.TRACEPARENT_OWS),
        trace(
            "future version over 512 characters",
            "cc-" + TRACE_ID + "-" + PARENT_ID + "-01-" + "x".repeat(500),
            null,
            Divergence.TRACEPARENT_LENGTH_LIMIT),
        trace("undefined flags", "00-" + TRACE_ID + "-" + PARENT_ID + "-ff", null, Divergence.TRACEPARENT_UNDEFINED_FLAGS),
        trace("flag 04", "00-" + TRACE_ID + "-" + PARENT_ID + "-05", null, Divergence.TRACEPARENT_UNDEFINED_FLAGS),
        // tracestate
        trace("spec example", TP, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        trace("inner whitespace", TP, "foo=1 \t , \t bar=2, \t baz=3"),
        trace("leading space in value", TP, "foo= 1"),
        trace("value with ;", TP, "foo=1;x"),
        trace("trailing empty entry", TP, "foo=1,"),
        trace("key 256", TP, "z".repeat(256) + "=1"),
        trace("key 257", TP, "foo=1," + "z".repeat(257) + "=1"),
        trace("upper-case key", TP, "FOO=1,bar=2"),
        trace("@ first", TP, "@foo=1,bar=2"),
        trace("33 entries", TP, IntStream.rangeClosed(1, 33).mapToObj(i -> "k" + i + "=" + i).collect(Collectors.joining(","))),
        trace("value with =", TP, "foo=bar=baz"),
        trace("empty value", TP, "foo=,bar=3"),
        trace("tab in value", TP, "foo=\t1"),
        trace("tracestate leading space", TP, " foo=1", Divergence.TRACESTATE_OWS_AT_EDGES),
        trace("tracestate trailing tab", TP, "foo=1\t", Divergence.TRACESTATE_OWS_AT_EDGES),
        trace("leading empty entry", TP, ",foo=1", Divergence.TRACESTATE_EMPTY_ENTRIES),
        trace("inner empty entry", TP, "foo=1,,bar=2", Divergence.TRACESTATE_EMPTY_ENTRIES),
        trace("empty header first", List.of(TP), List.of("", "foo=1"), Set.of(Divergence.TRACESTATE_EMPTY_ENTRIES)),
        trace("empty header last", List.of(TP), List.of("foo=1", ""), Set.of()),
        trace("two @", TP, "foo@bar@baz=1,bar=2", Divergence.TRACESTATE_LEVEL2_KEYS),
        trace("@ last", TP, "foo@=1,bar=2", Divergence.TRACESTATE_LEVEL2_KEYS),
        trace("242-character tenant", TP, "foo=1," + "t".repeat(242) + "@v=1", Divergence.TRACESTATE_LEVEL2_KEYS),
        trace("15-character system", TP, "foo=1,t@" + "v".repeat(15) + "=1", Divergence.TRACESTATE_LEVEL2_KEYS),
        trace("digit first", TP, "1abc=1", Divergence.TRACESTATE_LEVEL2_KEYS),
        trace("duplicate key", TP, "foo=1,foo=2", Divergence.TRACESTATE_DUPLICATE_KEYS),
        trace("duplicate key across headers", List.of(TP), List.of("foo=1,bar=2", "foo=3"), Set.of(Divergence.TRACESTATE_DUPLICATE_KEYS)),
        trace(
            "over the propagation limit",
            TP,
            IntStream.rangeClosed(1, 12).mapToObj(i -> "k" + i + "=" + "v".repeat(200)).collect(Collectors.joining(",")),
            Divergence.TRACESTATE_PROPAGATION_LIMIT),
        // baggage
        bag("spec example", "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue", Divergence.BAGGAGE_PROPERTIES_FORWARDED),
        bag("one key-only property", "key1=value1;property1"),
        bag("encoded values", "userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false"),
        bag("plus and equals", "k=a+b,j=a=b"),
        bag("not UTF-8", "k=%FF,j=%C3%28"),
        bag("empty value", "k="),
        bag("token key", "k!#$%&'*+-.^_`|~=1"),
        bag("bad members", "bad key=1,k=a b,k2=é,k3=\"x\",z=2"),
        bag("empty entries", " , a=1,,b=2, "),
        bag("repeated headers", List.of("a=1", "", "b=2")),
        bag("65 entries", IntStream.rangeClosed(1, 65).mapToObj(i -> "k" + i + "=v").collect(Collectors.joining(","))),
        bag("duplicate key", "k=1,k=2", Divergence.BAGGAGE_DUPLICATE_KEYS),
        bag("lone percent", "k=100%,z=1", Divergence.BAGGAGE_INVALID_PERCENT_ESCAPES),
        bag("short escape", "k=%4,z=1", Divergence.BAGGAGE_INVALID_PERCENT_ESCAPES),
        bag("empty property key", "k=1;=x,z=1", Divergence.BAGGAGE_PROPERTY_GRAMMAR, Divergence.BAGGAGE_PROPERTIES_FORWARDED),
        bag("space in property value", "k=v;p=a b,z=1", Divergence.BAGGAGE_PROPERTY_GRAMMAR, Divergence.BAGGAGE_PROPERTIES_FORWARDED),
        bag("property with value", "k=v;p=1", Divergence.BAGGAGE_PROPERTIES_FORWARDED),
        bag("member over 8192 bytes", "a=1,h=" + "x".repeat(9000) + ",z=2", Divergence.BAGGAGE_SIZE_LIMIT));
  }

  private static Case trace(String name, String traceparent, @Nullable String tracestate, Divergence... expected) {
    return trace(
        name,
        List.of(traceparent),
        tracestate == null ? List.of() : List.of(tracestate),
        expected.length == 0 ? Set.of() : EnumSet.of(expected[0], expected));
  }

  private static Case trace(String name, List<String> traceparent, List<String> tracestate, Set<Divergence> expected) {
    return new Case("trace: " + name, traceparent, tracestate, List.of(), expected);
  }

  private static Case bag(String name, String baggage, Divergence... expected) {
    return new Case(
        "baggage: " + name, List.of(), List.of(), List.of(baggage),
        expected.length == 0 ? Set.of() : EnumSet.of(expected[0], expected));
  }

  private static Case bag(String name, List<String> baggage) {
    return new Case("baggage: " + name, List.of(), List.of(), baggage, Set.of());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void everyDifferenceInTheTableIsAListedDivergence(Case input) {
    Comparison comparison = compare(input);

    assertThat(comparison.unexplained).as("unlisted divergences for %s", input.name).isEmpty();
    assertThat(comparison.explainedBy).as("divergences for %s", input.name).isEqualTo(input.expected);
  }

  @Test
  void everyListedDivergenceOccursInTheTable() {
    Set<Divergence> seen = EnumSet.noneOf(Divergence.class);
    table().forEach(input -> seen.addAll(compare(input).explainedBy));

    assertThat(seen).containsExactlyInAnyOrder(Divergence.values());
    for (Divergence divergence : Divergence.values()) {
      assertThat(divergence.spec).isNotBlank();
      assertThat(divergence.difference).isNotBlank();
    }
  }

  @Test
  void randomInputsDivergeOnlyAsListed() {
    SplittableRandom random = new SplittableRandom(0x5EED_13L);
    Set<Divergence> seen = EnumSet.noneOf(Divergence.class);
    int differing = 0;
    for (int i = 0; i < 6000; i++) {
      Case input = RandomHeaders.next(random, i);
      Comparison comparison = compare(input);
      assertThat(comparison.unexplained)
          .as("unlisted divergence for random input %s: traceparent=%s tracestate=%s baggage=%s",
              i, quoted(input.traceparent), quoted(input.tracestate), quoted(input.baggage))
          .isEmpty();
      seen.addAll(comparison.explainedBy);
      differing += comparison.explainedBy.isEmpty() ? 0 : 1;
    }
    System.out.printf("random inputs: %d of 6000 differ from OpenTelemetry, by %s%n", differing, seen);
    // the generator must reach both agreement and the listed differences, or it tests nothing
    assertThat(differing).isBetween(300, 5700);
    assertThat(seen).hasSizeGreaterThanOrEqualTo(8);
  }

  // ---------------------------------------------------------------------------------------------
  // the comparison

  /** What one implementation reads from the trace headers and what it forwards. */
  private record TraceView(
      @Nullable String traceId,
      @Nullable String parentId,
      int flags,
      List<String> state,
      @Nullable String forwardedParent,
      List<String> forwardedState) {}

  /** One baggage entry as read: its decoded value and its properties without whitespace. */
  private record Item(String key, String value, String properties) {}

  private static final class Comparison {
    final Set<Divergence> explainedBy = EnumSet.noneOf(Divergence.class);
    final List<String> unexplained = new ArrayList<>();

    void explain(Divergence divergence) {
      explainedBy.add(divergence);
    }

    void fail(String what) {
      unexplained.add(what);
    }
  }

  private static Comparison compare(Case input) {
    Comparison comparison = new Comparison();
    compareTrace(input, comparison);
    compareBaggage(input, comparison);
    return comparison;
  }

  private static void compareTrace(Case input, Comparison comparison) {
    TraceView ours = ourTrace(input);
    TraceView otel = otelTrace(input);
    if (ours.equals(otel)) {
      return;
    }
    if ((ours.traceId == null) != (otel.traceId == null)) {
      boolean edgeOws = input.traceparent.stream().anyMatch(W3cPropagatorDifferentialTest::hasEdgeOws);
      boolean tooLong = input.traceparent.stream().anyMatch(v -> v.length() > TraceParent.MAX_LENGTH);
      if (ours.traceId != null && edgeOws) {
        comparison.explain(Divergence.TRACEPARENT_OWS);
      } else if (otel.traceId != null && tooLong) {
        comparison.explain(Divergence.TRACEPARENT_LENGTH_LIMIT);
      } else {
        comparison.fail("traceparent validity: reqctx " + ours + ", OpenTelemetry " + otel);
      }
      return;
    }
    if (!Objects.equals(ours.traceId, otel.traceId)
        || !Objects.equals(ours.parentId, otel.parentId)
        || ours.flags != otel.flags) {
      comparison.fail("traceparent read: reqctx " + ours + ", OpenTelemetry " + otel);
      return;
    }
    if (!Objects.equals(ours.forwardedParent, otel.forwardedParent)) {
      String otelMasked =
          otel.forwardedParent == null ? null : TraceParent.parse(otel.forwardedParent).encode();
      if ((ours.flags & ~0x03) != 0 && Objects.equals(ours.forwardedParent, otelMasked)) {
        comparison.explain(Divergence.TRACEPARENT_UNDEFINED_FLAGS);
      } else {
        comparison.fail("traceparent forwarded: reqctx " + ours.forwardedParent + ", OpenTelemetry " + otel.forwardedParent);
      }
    }
    compareTraceState(input, ours, otel, comparison);
  }

  private static void compareTraceState(Case input, TraceView ours, TraceView otel, Comparison comparison) {
    if (!ours.state.equals(otel.state)) {
      if (!otel.state.isEmpty() || ours.state.isEmpty()) {
        comparison.fail("tracestate read: reqctx " + ours.state + ", OpenTelemetry " + otel.state);
        return;
      }
      // OpenTelemetry dropped a list reqctx kept: some listed rule must apply to this input
      String joined = String.join(",", input.tracestate);
      List<String> elements = List.of(joined.split(",", -1));
      boolean any = false;
      if (hasEdgeOws(joined)) {
        comparison.explain(Divergence.TRACESTATE_OWS_AT_EDGES);
        any = true;
      }
      if (elements.subList(0, elements.size() - 1).stream().anyMatch(e -> e.isBlank())) {
        comparison.explain(Divergence.TRACESTATE_EMPTY_ENTRIES);
        any = true;
      }
      List<String> keys =
          elements.stream().map(String::strip).filter(e -> e.contains("=")).map(e -> e.substring(0, e.indexOf('='))).toList();
      if (keys.stream().anyMatch(k -> LEVEL_2_KEY.matcher(k).matches() && !LEVEL_1_KEY.matcher(k).matches())) {
        comparison.explain(Divergence.TRACESTATE_LEVEL2_KEYS);
        any = true;
      }
      if (keys.stream().distinct().count() < keys.size()) {
        comparison.explain(Divergence.TRACESTATE_DUPLICATE_KEYS);
        any = true;
      }
      if (!any) {
        comparison.fail("tracestate dropped by OpenTelemetry only, for no listed reason: " + ours.state);
      }
      return;
    }
    if (!ours.forwardedState.equals(otel.forwardedState)) {
      TraceState read = TraceState.parse(String.join(",", otel.forwardedState));
      if (read != null
          && read.encode().length() > TraceState.DEFAULT_PROPAGATION_LIMIT
          && ours.forwardedState.equals(members(read.truncatedTo(TraceState.DEFAULT_PROPAGATION_LIMIT)))) {
        comparison.explain(Divergence.TRACESTATE_PROPAGATION_LIMIT);
      } else {
        comparison.fail("tracestate forwarded: reqctx " + ours.forwardedState + ", OpenTelemetry " + otel.forwardedState);
      }
    }
  }

  private static void compareBaggage(Case input, Comparison comparison) {
    List<Item> ours = items(Baggage.parse(input.baggage));
    List<Item> otel = otelBaggage(input.baggage);
    String joined = String.join(",", input.baggage);

    Map<String, Item> oursLastWins = new LinkedHashMap<>();
    Map<String, Integer> counts = new HashMap<>();
    for (Item item : ours) {
      oursLastWins.put(item.key, item);
      counts.merge(item.key, 1, Integer::sum);
    }
    Map<String, Item> otelByKey = new LinkedHashMap<>();
    otel.forEach(item -> otelByKey.put(item.key, item));

    if (!otel.isEmpty() || ours.isEmpty() || joined.length() <= Baggage.MAX_BYTES) {
      Set<String> keys = new java.util.TreeSet<>(oursLastWins.keySet());
      keys.addAll(otelByKey.keySet());
      for (String key : keys) {
        Item mine = oursLastWins.get(key);
        Item theirs = otelByKey.get(key);
        if (counts.getOrDefault(key, 0) > 1) {
          comparison.explain(Divergence.BAGGAGE_DUPLICATE_KEYS);
        }
        if (Objects.equals(mine, theirs)) {
          continue;
        }
        // OpenTelemetry shows an entry reqctx dropped: for a repeated key, OpenTelemetry keeps the
        // last one it accepts, so a member only it accepts must come after the last reqctx accepts
        Set<Divergence> causes = theirs == null ? Set.of() : droppedMemberCauses(rawMembers(joined, key));
        if (!causes.isEmpty()) {
          causes.forEach(comparison::explain);
        } else {
          comparison.fail("baggage " + key + ": reqctx " + mine + ", OpenTelemetry " + theirs);
        }
      }
    } else {
      comparison.explain(Divergence.BAGGAGE_SIZE_LIMIT); // OpenTelemetry dropped everything
    }

    // forwarding: reqctx forwards exactly what it read; OpenTelemetry's output, read back, may not be
    assertThat(items(Baggage.parse(Baggage.parse(input.baggage).encode()))).isEqualTo(ours);
    List<Item> otelForwarded = items(Baggage.parse(otelInjectBaggage(input.baggage)));
    if (!sameIgnoringOrder(otelForwarded, otel)) {
      boolean onlyProperties =
          otelForwarded.size() == otel.size()
              && IntStream.range(0, otel.size()).allMatch(i -> otelForwarded.get(i).key.equals(otel.get(i).key)
                  && otelForwarded.get(i).value.equals(otel.get(i).value));
      if (onlyProperties) {
        comparison.explain(Divergence.BAGGAGE_PROPERTIES_FORWARDED);
      } else {
        comparison.fail("baggage forwarded by OpenTelemetry reads as " + otelForwarded + " instead of " + otel);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the two implementations

  private static TraceView ourTrace(Case input) {
    TraceContext context = TraceContext.parse(input.traceparent, input.tracestate);
    if (context == null) {
      return new TraceView(null, null, 0, List.of(), null, List.of());
    }
    String state = context.tracestateHeader(TraceState.DEFAULT_PROPAGATION_LIMIT);
    return new TraceView(
        context.traceParent().traceId(),
        context.traceParent().parentId(),
        context.traceParent().flags(),
        members(context.traceState()),
        context.traceParent().encode(),
        state == null ? List.of() : members(TraceState.parse(state)));
  }

  private static TraceView otelTrace(Case input) {
    Map<String, List<String>> carrier = Map.of("traceparent", input.traceparent, "tracestate", input.tracestate);
    SpanContext read =
        Span.fromContext(W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, JOINING))
            .getSpanContext();
    if (!read.isValid()) {
      return new TraceView(null, null, 0, List.of(), null, List.of());
    }
    List<String> state = new ArrayList<>();
    read.getTraceState().forEach((key, value) -> state.add(key + "=" + value));
    Map<String, String> forwarded = new HashMap<>();
    W3CTraceContextPropagator.getInstance().inject(Context.root().with(Span.wrap(read)), forwarded, Map::put);
    String forwardedState = forwarded.get("tracestate");
    return new TraceView(
        read.getTraceId(),
        read.getSpanId(),
        read.getTraceFlags().asByte() & 0xFF,
        state,
        forwarded.get("traceparent"),
        forwardedState == null ? List.of() : members(Objects.requireNonNull(TraceState.parse(forwardedState))));
  }

  private static List<Item> otelBaggage(List<String> values) {
    Map<String, List<String>> carrier = Map.of("baggage", values);
    io.opentelemetry.api.baggage.Baggage read =
        io.opentelemetry.api.baggage.Baggage.fromContext(
            W3CBaggagePropagator.getInstance().extract(Context.root(), carrier, JOINING));
    List<Item> items = new ArrayList<>();
    read.forEach((key, entry) -> items.add(new Item(key, entry.getValue(), withoutOws(entry.getMetadata().getValue()))));
    return items;
  }

  private static String otelInjectBaggage(List<String> values) {
    Map<String, List<String>> carrier = Map.of("baggage", values);
    Context read = W3CBaggagePropagator.getInstance().extract(Context.root(), carrier, JOINING);
    Map<String, String> forwarded = new HashMap<>();
    W3CBaggagePropagator.getInstance().inject(read, forwarded, Map::put);
    return forwarded.getOrDefault("baggage", "");
  }

  private static final TextMapGetter<Map<String, List<String>>> JOINING =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, List<String>> carrier) {
          return carrier.keySet();
        }

        @Override
        public @Nullable String get(@Nullable Map<String, List<String>> carrier, String key) {
          List<String> values = carrier == null ? null : carrier.get(key);
          return values == null || values.isEmpty() ? null : String.join(",", values);
        }
      };

  // ---------------------------------------------------------------------------------------------
  // independent statements of the rules the classification needs

  /** The Level 1 (2021 Recommendation) key grammar OpenTelemetry 1.65 enforces. */
  private static final Pattern LEVEL_1_KEY =
      Pattern.compile("[a-z][a-z0-9_\\-*/]{0,255}|[a-z0-9][a-z0-9_\\-*/]{0,240}@[a-z][a-z0-9_\\-*/]{0,13}");

  /** The Level 2 key grammar. */
  private static final Pattern LEVEL_2_KEY = Pattern.compile("[a-z0-9][a-z0-9_\\-*/@]{0,255}");

  private static final Pattern INVALID_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2})");

  private static boolean hasEdgeOws(String value) {
    return !value.isEmpty()
        && (isOws(value.charAt(0)) || isOws(value.charAt(value.length() - 1)));
  }

  private static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  private static String withoutOws(String value) {
    return value.replace(" ", "").replace("\t", "");
  }

  /** The raw members of a joined baggage header whose key is {@code key}. */
  private static List<String> rawMembers(String joined, String key) {
    return Stream.of(joined.split(",", -1))
        .map(String::strip)
        .filter(m -> m.contains("=") && m.substring(0, m.indexOf('=')).strip().equals(key))
        .toList();
  }

  /** Why reqctx dropped the last of these members, when that one comes after the last it kept. */
  private static Set<Divergence> droppedMemberCauses(List<String> raw) {
    for (int i = raw.size() - 1; i >= 0; i--) {
      if (!Baggage.parse(raw.get(i)).isEmpty()) {
        return Set.of(); // reqctx kept a later member than any it dropped
      }
      Set<Divergence> causes = dropCauses(raw.get(i));
      if (!causes.isEmpty()) {
        return causes;
      }
    }
    return Set.of();
  }

  /**
   * The listed rules that made reqctx drop {@code member}: repairing each lone {@code %} (as {@code
   * %25}) and removing broken properties must make it acceptable, otherwise it broke some other
   * rule and the result is empty.
   */
  private static Set<Divergence> dropCauses(String member) {
    Set<Divergence> causes = EnumSet.noneOf(Divergence.class);
    String repaired = INVALID_ESCAPE.matcher(member).replaceAll("%25");
    if (!repaired.equals(member)) {
      causes.add(Divergence.BAGGAGE_INVALID_PERCENT_ESCAPES);
    }
    if (!Baggage.parse(repaired).isEmpty()) {
      return causes;
    }
    int semicolon = repaired.indexOf(';');
    if (semicolon < 0 || Baggage.parse(repaired.substring(0, semicolon)).isEmpty()) {
      return Set.of();
    }
    for (String property : repaired.substring(semicolon + 1).split(";", -1)) {
      if (!PROPERTY.matcher(property).matches()) {
        causes.add(Divergence.BAGGAGE_PROPERTY_GRAMMAR);
        return causes;
      }
    }
    return Set.of();
  }

  private static final Pattern PROPERTY =
      Pattern.compile("[ \\t]*[!#$%&'*+\\-.^_`|~0-9A-Za-z]+[ \\t]*(=[ \\t]*[\\x21\\x23-\\x2b\\x2d-\\x3a\\x3c-\\x5b\\x5d-\\x7e]*[ \\t]*)?");

  private static List<String> members(@Nullable TraceState state) {
    return state == null ? List.of() : state.members().stream().map(m -> m.key() + "=" + m.value()).toList();
  }

  private static List<Item> items(Baggage baggage) {
    return baggage.entries().stream()
        .map(e -> new Item(e.key(), e.decodedValue(), properties(e)))
        .toList();
  }

  private static String properties(Baggage.Entry entry) {
    String encoded = entry.encode();
    int semicolon = encoded.indexOf(';');
    return semicolon < 0 ? "" : encoded.substring(semicolon + 1);
  }

  private static boolean sameIgnoringOrder(List<Item> a, List<Item> b) {
    return a.size() == b.size() && new java.util.HashSet<>(a).equals(new java.util.HashSet<>(b));
  }

  private static String quoted(List<String> values) {
    return values.stream().map(v -> "\"" + v.replace("\t", "\\t") + "\"").collect(Collectors.joining(", ", "[", "]"));
  }

  // ---------------------------------------------------------------------------------------------
  // random headers: valid values with the mutations the spec and the suite care about

  private static final class RandomHeaders {
    private static final String[] KEYS = {
      "foo", "bar", "rojo", "congo", "a", "z9", "k_-*/", "t@dt", "fw529a3039@dt", "1abc", "foo@bar@baz",
      "foo@", "x@" + "s".repeat(15), "t".repeat(242) + "@v", "FOO", "foo.bar", "@foo", "*a", "",
    };
    private static final String[] STATE_VALUES = {
      "1", "t61rcWkgMzE", " lead", "a b", "x;y", "a=b", "", " ", "\t1", "v".repeat(256), "v".repeat(257), "~!",
    };
    private static final String[] BAGGAGE_KEYS = {"k", "user", "a", "Key-1", "k!#$", "bad key", "é", ""};
    private static final String[] BAGGAGE_VALUES = {
      "v", "a+b", "a=b", "%41", "%FF", "100%", "%4", "%zz", "", "DF%2028", "é", "a b", "\"q\"", "x".repeat(3000),
    };
    private static final String[] PROPERTIES = {"", ";p", ";p=1", "; p = 1 ", ";p;q=2", ";=x", ";p=a b", ";p=%zz"};
    private static final String[] SEPARATORS = {",", ",", ",", " , ", "\t,\t", ",,", ", ,"};

    static Case next(SplittableRandom random, int index) {
      return new Case("random " + index, traceparent(random), tracestate(random), baggage(random), Set.of());
    }

    private static List<String> traceparent(SplittableRandom random) {
      String version = pick(random, "00", "00", "00", "cc", "01", "ff", "0A", "0");
      String traceId = pick(random, TRACE_ID, TRACE_ID, "0".repeat(32), TRACE_ID.toUpperCase().replace('1', 'A'), TRACE_ID.substring(1));
      String parentId = pick(random, PARENT_ID, PARENT_ID, "0".repeat(16), "123456789012345.");
      String flags = String.format("%02x", random.nextInt(0, 256));
      if (random.nextInt(10) == 0) {
        flags = pick(random, "0A", "1", "001", ".0");
      }
      String value = version + "-" + traceId + "-" + parentId + "-" + flags;
      if (random.nextInt(6) == 0) {
        value += pick(random, "-future", ".future", "-", "-" + "x".repeat(random.nextInt(400, 500)));
      }
      if (random.nextInt(5) == 0) {
        value = pick(random, " ", "\t", "") + value + pick(random, " ", "\t", "", " \t");
      }
      int copies = random.nextInt(20) == 0 ? 2 : random.nextInt(15) == 0 ? 0 : 1;
      List<String> values = new ArrayList<>();
      for (int i = 0; i < copies; i++) {
        values.add(value);
      }
      return values;
    }

    private static List<String> tracestate(SplittableRandom random) {
      int members = random.nextInt(4) == 0 ? random.nextInt(20, 36) : random.nextInt(0, 5);
      StringBuilder joined = new StringBuilder(random.nextInt(6) == 0 ? pick(random, " ", "\t", ",") : "");
      for (int i = 0; i < members; i++) {
        if (i > 0) {
          joined.append(pick(random, SEPARATORS));
        }
        boolean plain = random.nextInt(3) > 0;
        String key = plain ? "k" + random.nextInt(40) : pick(random, KEYS);
        String value = plain ? String.valueOf(random.nextInt(1000)) : pick(random, STATE_VALUES);
        joined.append(key).append('=').append(value);
      }
      if (random.nextInt(6) == 0) {
        joined.append(pick(random, " ", "\t", ",", ", "));
      }
      return split(random, joined.toString());
    }

    private static List<String> baggage(SplittableRandom random) {
      int members = random.nextInt(5) == 0 ? random.nextInt(50, 72) : random.nextInt(0, 6);
      StringBuilder joined = new StringBuilder();
      for (int i = 0; i < members; i++) {
        if (i > 0) {
          joined.append(pick(random, SEPARATORS));
        }
        boolean plain = random.nextInt(3) > 0;
        String key = plain ? "k" + random.nextInt(80) : pick(random, BAGGAGE_KEYS);
        String value = plain ? "v" + random.nextInt(100) : pick(random, BAGGAGE_VALUES);
        joined.append(key).append(pick(random, "=", "=", " = ")).append(value);
        joined.append(random.nextInt(3) == 0 ? pick(random, PROPERTIES) : "");
      }
      return split(random, joined.toString());
    }

    /** Splits a joined list into one to three header values at commas, sometimes adding an empty one. */
    private static List<String> split(SplittableRandom random, String joined) {
      List<String> values = new ArrayList<>();
      if (random.nextInt(8) == 0) {
        values.add("");
      }
      int cut = random.nextInt(3) == 0 ? joined.indexOf(',', joined.length() / 2) : -1;
      if (cut > 0) {
        values.add(joined.substring(0, cut));
        values.add(joined.substring(cut + 1));
      } else if (!joined.isEmpty() || random.nextBoolean()) {
        values.add(joined);
      }
      return values;
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom random, T... options) {
      return options[random.nextInt(options.length)];
    }
  }
}
