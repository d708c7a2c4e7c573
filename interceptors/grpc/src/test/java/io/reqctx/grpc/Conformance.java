package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.internal.wire.W3cVectors;
import io.reqctx.internal.wire.W3cVectors.HopCase;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The W3C conformance checks the gRPC and Armeria tests share (through this module's test jar): a
 * next hop answers the W3C headers it received, one line each, the hop under test adds its own MDC
 * ids, and {@link #assertForwarded} holds the answer against a {@link HopCase}.
 */
public final class Conformance {
  static final List<String> W3C_HEADERS = List.of("traceparent", "tracestate", "baggage");

  private Conformance() {}

  /** What a next hop answers: one {@code name: value} line per value of each W3C header, in arrival order. */
  public static String format(Function<String, List<String>> headers) {
    StringBuilder out = new StringBuilder();
    for (String name : W3C_HEADERS) {
      for (String value : headers.apply(name)) {
        out.append(name).append(": ").append(value).append('\n');
      }
    }
    return out.toString();
  }

  /** The lines the hop under test adds: the MDC ids its handler ran with. */
  public static String hopLines(@Nullable String traceId, @Nullable String spanId) {
    return "mdc.trace_id: " + traceId + "\nmdc.span_id: " + spanId + "\n";
  }

  /**
   * What the next hop received, and the hop's MDC ids.
   *
   * @param traceparent every {@code traceparent} value the next hop received
   */
  public record Received(
      List<String> traceparent, List<String> tracestate, List<String> baggage, String mdcTraceId, String mdcSpanId) {

    String[] fields() {
      assertThat(traceparent).as("exactly one traceparent reaches the next hop").hasSize(1);
      assertThat(traceparent.get(0)).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]");
      return traceparent.get(0).split("-");
    }

    public String traceId() {
      return fields()[1];
    }

    public String parentId() {
      return fields()[2];
    }

    public String flags() {
      return fields()[3];
    }

    /** Whether the sampled flag is set (an SDK then records and exports the hop's spans). */
    public boolean sampled() {
      return (Integer.parseInt(flags(), 16) & 0x01) != 0;
    }
  }

  public static Received parse(String answer) {
    List<String> traceparent = new ArrayList<>();
    List<String> tracestate = new ArrayList<>();
    List<String> baggage = new ArrayList<>();
    String traceId = null;
    String spanId = null;
    for (String line : answer.split("\n")) {
      int colon = line.indexOf(": ");
      String name = line.substring(0, colon);
      String value = line.substring(colon + 2);
      switch (name) {
        case "traceparent" -> traceparent.add(value);
        case "tracestate" -> tracestate.add(value);
        case "baggage" -> baggage.add(value);
        case "mdc.trace_id" -> traceId = value;
        case "mdc.span_id" -> spanId = value;
        default -> throw new AssertionError("unexpected line " + line);
      }
    }
    return new Received(traceparent, tracestate, baggage, String.valueOf(traceId), String.valueOf(spanId));
  }

  /**
   * Holds what the next hop received against the rule: the trace id kept (with its flags, a fresh
   * parent-id, the list as the rule reads it) or a new trace without a list; the baggage as the rule
   * reads it; the hop's MDC ids equal to the trace on the wire.
   */
  public static void assertForwarded(HopCase hopCase, Received received, boolean withSdk) {
    assertThat(received.parentId()).as("a parent-id of the hop's own").isNotEqualTo(W3cVectors.PARENT_ID);
    assertThat(received.mdcTraceId()).as("the hop logs the trace id it sends").isEqualTo(received.traceId());
    assertThat(received.mdcSpanId()).matches("[0-9a-f]{16}").isNotEqualTo(received.parentId());
    if (hopCase.keepsTrace()) {
      assertThat(received.traceId()).isEqualTo(W3cVectors.TRACE_ID);
      assertThat(received.flags()).isEqualTo(hopCase.flags());
      if (!withSdk) {
        assertThat(received.mdcSpanId()).as("without an SDK the hop logs the parent-id it received")
            .isEqualTo(W3cVectors.PARENT_ID);
      }
    } else {
      assertThat(received.traceId()).as("a new trace").isNotEqualTo(W3cVectors.TRACE_ID);
      if (!withSdk) {
        assertThat(received.flags()).as("reqctx's new trace: random, not sampled").isEqualTo("02");
      }
    }
    assertThat(received.tracestate())
        .isEqualTo(hopCase.tracestateSent() == null ? List.of() : List.of(hopCase.tracestateSent()));
    assertThat(received.baggage())
        .isEqualTo(hopCase.baggageSent() == null ? List.of() : List.of(hopCase.baggageSent()));
  }
}
