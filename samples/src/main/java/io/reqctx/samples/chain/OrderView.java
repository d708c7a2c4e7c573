package io.reqctx.samples.chain;

import io.reqctx.samples.proto.Hop;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's JSON answer to {@code GET /orders/{id}}: the order's fate and the budget waterfall of
 * the request, one entry per hop in the order the hops started.
 *
 * <pre>{@code
 * {"orderId":"42","status":200,"traceId":"4bf9...","requestId":"3f0c...","degraded":false,"error":null,
 *  "hops":[{"service":"GET /orders/{id}","tier":"gateway","capMs":5000,"receivedBudgetMs":2000,
 *           "sentBudgetMs":1954,"elapsedMs":14,"outcome":"OK","note":"","reportedByCaller":false}, ...]}
 * }</pre>
 *
 * @param status the HTTP status of the answer
 * @param error why the order failed (a gRPC status description), or null
 */
public record OrderView(
    String orderId, int status, String traceId, String requestId, boolean degraded, @Nullable String error,
    List<HopView> hops) {

  /**
   * One hop of the waterfall, all durations in milliseconds.
   *
   * @param outcome the {@code HopOutcome} without its prefix, e.g. {@code "DEGRADED_FALLBACK"}
   * @param reportedByCaller true when the hop sent no report and its caller wrote the row (received unknown)
   */
  public record HopView(
      String service, String tier, long capMs, long receivedBudgetMs, long sentBudgetMs, long elapsedMs,
      String outcome, String note, boolean reportedByCaller) {

    /** The JSON view of {@code hop}. */
    public static HopView of(Hop hop) {
      return new HopView(hop.getService(), hop.getTier(), hop.getCapMs(), hop.getReceivedBudgetMs(),
          hop.getSentBudgetMs(), hop.getElapsedMs(), outcomeName(hop), hop.getNote(), hop.getReportedByCaller());
    }

    /** The outcome of {@code hop} without the enum prefix, e.g. {@code "OK"}. */
    public static String outcomeName(Hop hop) {
      return hop.getOutcome().name().replaceFirst("^HOP_OUTCOME_", "");
    }
  }
}
