package io.reqctx.samples.demo;

import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.OrderView;
import io.reqctx.samples.chain.WaterfallPage;
import io.reqctx.samples.proto.Hop;
import java.util.List;
import java.util.Locale;

/**
 * Draws a scenario as a table, one row per hop in the order the hops started, then its facts and its
 * verdict.
 *
 * <pre>{@code
 * == happy: a 2 s request flows through every hop
 *    service                  tier      cap  received   sent  elapsed  outcome            trace
 *    GET /orders/{id}         gateway  5000      2000   1954       14  OK                 4bf92f35
 *    ...
 *    PASS each hop received less than the one before (2000 > 1953 > 1907 > 800 ms), none more than its cap
 * }</pre>
 */
public final class Waterfall {
  private static final String ROW = "   %-27s %-8s %5s %9s %6s %8s  %-18s %-8s%s%n";

  private Waterfall() {}

  /** The scenario's table, facts and verdict, ending with a newline. */
  public static String render(ScenarioResult result) {
    StringBuilder out = new StringBuilder();
    out.append("== ").append(result.scenario().cliName()).append(": ").append(result.scenario().description())
        .append('\n');
    out.append(String.format(Locale.ROOT, ROW, "service", "tier", "cap", "received", "sent", "elapsed", "outcome",
        "trace", "  note"));
    for (HopReport report : result.hops()) {
      out.append(row(report.hop()));
    }
    for (String fact : result.facts()) {
      out.append("   ").append(fact).append('\n');
    }
    out.append("   ").append(result.passed() ? "PASS " : "FAIL ").append(result.verdict()).append('\n');
    return out.toString();
  }

  private static String row(Hop hop) {
    String received = hop.getReportedByCaller() ? "?" : ms(hop.getReceivedBudgetMs());
    String trace = hop.getTraceId().isEmpty() ? "-" : hop.getTraceId().substring(0, 8);
    String note = hop.getNote().isEmpty() ? "" : "  " + hop.getNote();
    return String.format(Locale.ROOT, ROW, shortName(hop.getService()), hop.getTier(), hop.getCapMs(), received,
        ms(hop.getSentBudgetMs()), hop.getElapsedMs(), OrderView.HopView.outcomeName(hop), trace, note);
  }

  private static String ms(int millis) {
    return millis == 0 ? "-" : Integer.toString(millis);
  }

  private static String shortName(String service) {
    return WaterfallPage.shortName(service);
  }

  /**
   * The scenario as a self-contained HTML page ({@link WaterfallPage}), each hop placed where it
   * started (the tiers ran in this JVM, so their monotonic clocks agree).
   */
  public static String page(ScenarioResult result) {
    long first = result.hops().stream().mapToLong(HopReport::startNanos).min().orElse(0);
    List<WaterfallPage.Row> rows = result.hops().stream()
        .map(report -> WaterfallPage.Row.of(report.hop(), Math.max(0, (report.startNanos() - first) / 1_000_000)))
        .toList();
    return WaterfallPage.render(result.scenario().cliName() + ": " + result.scenario().description(), rows,
        result.facts(), (result.passed() ? "PASS " : "FAIL ") + result.verdict());
  }
}
