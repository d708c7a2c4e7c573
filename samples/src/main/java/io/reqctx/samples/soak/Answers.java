package io.reqctx.samples.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.reqctx.samples.chain.OrderView;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/** Sorts every answer the soak got into the categories that explain it, and keeps the tallies. */
final class Answers {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SAMPLES = 20;

  /** Why a request ended the way it did. */
  enum Category {
    OK("200 ok"),
    DEGRADED("200 degraded (a hop answered from its fallback)"),
    DEADLINE("504 with its reason"),
    CLIENT_CANCELLED("client cancelled (499 at the gateway)"),
    CHAOS_CANCELLED("499: a chaos cancel storm below the gateway"),
    CHAOS_SKEW_RESET("499: grpc-java's own deadline at the order, shortened by a chaos skew, reset the stream"),
    TIER_DOWN("502/499 while a tier was down (drill)"),
    UNEXPLAINED("unexplained"),
    NO_ANSWER("no terminal answer");

    final String label;

    Category(String label) {
      this.label = label;
    }
  }

  private final Map<Category, LongAdder> counts = new EnumMap<>(Category.class);
  private final Map<String, LongAdder> reasons504 = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> gatewaySawCancel = new ConcurrentHashMap<>();
  private final List<String> unexplained = Collections.synchronizedList(new ArrayList<>());

  Answers() {
    for (Category c : Category.values()) {
      counts.put(c, new LongAdder());
    }
  }

  /**
   * Classifies an HTTP answer.
   *
   * @param duringDrill whether a tier was down when the answer came (a 502 is then expected)
   * @param orderBudgetShortened whether chaos shortened the request's budget at the order tier: grpc-java's
   *     server deadline moves with it, and when that timer fires before reqctx answers, grpc-java resets
   *     the stream ({@code RST_STREAM CANCEL}, no status), which the gateway answers 499
   */
  Category answered(String id, int status, String contentType, String body, boolean duringDrill,
      boolean orderBudgetShortened) {
    OrderView order = null;
    if (contentType.contains("json")) {
      try {
        order = JSON.readValue(body, OrderView.class);
      } catch (IOException e) {
        order = null;
      }
    }
    String error = order != null ? order.error() : firstLine(body);
    Category category;
    if (status == 200 && order != null) {
      category = !order.degraded() ? Category.OK
          : order.hops().stream().anyMatch(h -> h.outcome().equals("DEGRADED_FALLBACK")) ? Category.DEGRADED
          : Category.UNEXPLAINED;
    } else if (status == 504 && error != null && !error.isBlank()) {
      category = Category.DEADLINE;
      reasons504.computeIfAbsent(normalise(error), k -> new LongAdder()).increment();
    } else if (status == 499 && error != null && error.contains("reqctx-chaos")) {
      category = Category.CHAOS_CANCELLED;
    } else if (status == 499 && orderBudgetShortened && error != null && error.contains("RST_STREAM")) {
      category = Category.CHAOS_SKEW_RESET;
    } else if ((status == 502 || status == 499) && duringDrill) {
      // Refused by the tier that was down (502), or reset when it was killed under the call (499).
      category = Category.TIER_DOWN;
    } else {
      category = Category.UNEXPLAINED;
    }
    count(category, id, status + " " + (error == null ? body : error));
    return category;
  }

  /** A request the client gave up on; {@code gatewayOutcome} is how the gateway's hop ended, if it reported. */
  void clientCancelled(String id, @Nullable String gatewayOutcome) {
    gatewaySawCancel.computeIfAbsent(gatewayOutcome == null ? "before the gateway's service ran (no hop report)" : gatewayOutcome,
        k -> new LongAdder()).increment();
    count(Category.CLIENT_CANCELLED, id, "");
  }

  /** A request that failed on the client without a status (not cancelled by the client itself). */
  void failed(String id, Throwable failure, boolean timedOut) {
    count(timedOut ? Category.NO_ANSWER : Category.UNEXPLAINED, id, failure.toString());
  }

  private void count(Category category, String id, String detail) {
    counts.get(category).increment();
    if ((category == Category.UNEXPLAINED || category == Category.NO_ANSWER) && unexplained.size() < SAMPLES) {
      unexplained.add(id + ": " + category.label + ": " + truncate(detail));
    }
  }

  long count(Category category) {
    return counts.get(category).sum();
  }

  long total() {
    return counts.values().stream().mapToLong(LongAdder::sum).sum();
  }

  Map<String, Long> reasons504() {
    return sorted(reasons504);
  }

  Map<String, Long> gatewaySawCancel() {
    return sorted(gatewaySawCancel);
  }

  List<String> unexplainedSamples() {
    synchronized (unexplained) {
      return List.copyOf(unexplained);
    }
  }

  private static Map<String, Long> sorted(Map<String, LongAdder> counts) {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** A reason with its numbers taken out, so that reasons group: "budget of 37ms" becomes "budget of Nms". */
  static String normalise(String reason) {
    return truncate(reason.replaceAll("[0-9a-f]{32}", "<id>").replaceAll("soak-[0-9-]+|probe-[0-9-]+|warm-[0-9-]+", "<id>")
        .replaceAll("\\d+", "N"));
  }

  private static @Nullable String firstLine(String body) {
    int newline = body.indexOf('\n');
    return newline < 0 ? body : body.substring(0, newline);
  }

  private static String truncate(String s) {
    return s.length() <= 160 ? s : s.substring(0, 157) + "...";
  }
}
