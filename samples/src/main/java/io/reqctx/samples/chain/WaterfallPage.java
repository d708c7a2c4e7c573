package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import io.reqctx.samples.proto.Hop;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request's budget waterfall as one self-contained HTML page (no script, style or font from
 * elsewhere): an SVG chart with a row per hop — budget received, budget sent and time spent, coloured
 * by outcome, on one time axis in milliseconds — and the same numbers as a table. {@code demo} writes
 * one per scenario; the gateway of {@code serve} serves them for its recent requests.
 *
 * <p>Each bar starts where its hop started: {@link Row#startMs()} from the first hop's start when it is
 * known (the demo measures it, all tiers run in one JVM), else at 0, the hop's own arrival (the
 * gateway knows only durations). When the browser reaches the end of the page, a small inline script
 * measures the drawn bars and writes their widths in pixels on each row ({@code data-drawn-elapsed-px}) and {@code
 * data-rendered="true"} on the body, so a browser test can check what was really laid out.
 *
 * <pre>{@code
 * String html = WaterfallPage.render("happy", List.of(WaterfallPage.Row.of(hop, 0)), List.of(), "PASS ...");
 * }</pre>
 */
public final class WaterfallPage {
  private static final int WIDTH = 980;
  private static final int LABEL = 300;
  private static final int CHART = WIDTH - LABEL - 30;
  private static final int ROW = 46;
  private static final int TOP = 34;
  private static final Map<String, String> OUTCOME_COLOURS = Map.of(
      "OK", "#2ca02c",
      "DEADLINE_EXCEEDED", "#d62728",
      "CANCELLED", "#ff7f0e",
      "REJECTED_BUDGET", "#7f7f7f",
      "DEGRADED_FALLBACK", "#bcbd22",
      "ERROR", "#8c564b");
  private static final String RECEIVED_COLOUR = "#9ecae1";
  private static final String SENT_COLOUR = "#3182bd";

  private WaterfallPage() {}

  /**
   * One hop of the chart, durations in milliseconds.
   *
   * @param receivedMs the budget at arrival; 0 when unknown or when the caller sent none
   * @param sentMs the budget sent to the callee; 0 when the hop called nobody
   * @param startMs when the hop started, from the first hop's start (0 when unknown)
   */
  public record Row(String service, String tier, long capMs, long receivedMs, long sentMs, long elapsedMs,
      String outcome, String note, long startMs) {

    public Row {
      requireNonNull(service, "service");
      requireNonNull(tier, "tier");
      requireNonNull(outcome, "outcome");
      requireNonNull(note, "note");
    }

    /** The row of {@code hop}, started {@code startMs} after the first hop. */
    public static Row of(Hop hop, long startMs) {
      return new Row(hop.getService(), hop.getTier(), hop.getCapMs(),
          hop.getReportedByCaller() ? 0 : hop.getReceivedBudgetMs(), hop.getSentBudgetMs(), hop.getElapsedMs(),
          OrderView.HopView.outcomeName(hop), hop.getNote(), startMs);
    }
  }

  /**
   * The page.
   *
   * @param title what the request was, e.g. the scenario's name and description
   * @param facts lines printed under the chart
   * @param verdict the scenario's verdict line, or null
   */
  public static String render(String title, List<Row> rows, List<String> facts, @Nullable String verdict) {
    StringBuilder html = new StringBuilder(8192);
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>reqctx waterfall: ")
        .append(escape(title)).append("</title>\n<style>\n")
        .append("body{font-family:'DejaVu Sans',Arial,sans-serif;margin:20px;color:#222}")
        .append("table{border-collapse:collapse;margin-top:12px}td,th{border:1px solid #ccc;padding:3px 8px;")
        .append("font-size:13px;text-align:right}td.l,th.l{text-align:left}.pass{color:#2ca02c}.fail{color:#d62728}")
        .append("\n</style></head>\n<body data-rendered=\"false\">\n<h1 style=\"font-size:20px\">")
        .append(escape(title)).append("</h1>\n");
    html.append(svg(rows));
    html.append(table(rows));
    if (!facts.isEmpty()) {
      html.append("<ul class=\"facts\">\n");
      for (String fact : facts) {
        html.append("<li>").append(escape(fact)).append("</li>\n");
      }
      html.append("</ul>\n");
    }
    if (verdict != null) {
      html.append("<p class=\"verdict\">").append(escape(verdict)).append("</p>\n");
    }
    // Runs as the parser reaches it, before the load event: every element above exists, and
    // getBoundingClientRect() makes the browser lay them out.
    html.append("<script>\n")
        .append("document.querySelectorAll('g.hop').forEach(function (g) {\n")
        .append("  ['received', 'sent', 'elapsed'].forEach(function (kind) {\n")
        .append("    var bar = g.querySelector('rect.' + kind);\n")
        .append("    g.setAttribute('data-drawn-' + kind + '-px', bar ? bar.getBoundingClientRect().width.toFixed(1) : '0');\n")
        .append("  });\n});\ndocument.body.setAttribute('data-rendered', 'true');\n</script>\n")
        .append("</body></html>\n");
    return html.toString();
  }

  private static String svg(List<Row> rows) {
    long spanMs = 1;
    for (Row row : rows) {
      spanMs = Math.max(spanMs, row.startMs() + Math.max(row.elapsedMs(), Math.max(row.receivedMs(), row.sentMs())));
    }
    long step = tickStep(spanMs);
    long axisMs = ((spanMs + step - 1) / step) * step;
    double scale = (double) CHART / axisMs;
    int height = TOP + rows.size() * ROW + 50;
    StringBuilder svg = new StringBuilder(4096);
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "data-axis-ms=\"%d\" data-px-per-ms=\"%.6f\" role=\"img\" aria-label=\"budget waterfall\">%n",
        WIDTH, height, WIDTH, height, axisMs, scale));
    svg.append("<style>text{font-family:'DejaVu Sans',Arial,sans-serif;font-size:12px;fill:#222}</style>\n");
    int bottom = TOP + rows.size() * ROW;
    for (long tick = 0; tick <= axisMs; tick += step) {
      double x = LABEL + tick * scale;
      svg.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
              + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d ms</text>%n",
          x, TOP - 6, x, bottom, x, TOP - 12, tick));
    }
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      int y = TOP + i * ROW;
      double x0 = LABEL + row.startMs() * scale;
      svg.append(String.format(Locale.ROOT,
          "<g class=\"hop\" data-tier=\"%s\" data-outcome=\"%s\" data-start-ms=\"%d\" data-received-ms=\"%d\" "
              + "data-sent-ms=\"%d\" data-elapsed-ms=\"%d\">%n",
          escape(row.tier()), escape(row.outcome()), row.startMs(), row.receivedMs(), row.sentMs(), row.elapsedMs()));
      svg.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" font-weight=\"bold\">%s</text>"
              + "<text x=\"4\" y=\"%d\">%s</text>%n",
          y + 16, escape(row.tier() + "  " + row.outcome()), y + 32, escape(shortName(row.service()))));
      bar(svg, "received", x0, y + 4, row.receivedMs() * scale, RECEIVED_COLOUR,
          "budget received " + (row.receivedMs() == 0 ? "unknown or none" : row.receivedMs() + " ms"));
      bar(svg, "sent", x0, y + 16, row.sentMs() * scale, SENT_COLOUR,
          "budget sent " + (row.sentMs() == 0 ? "none (no call)" : row.sentMs() + " ms"));
      bar(svg, "elapsed", x0, y + 28, Math.max(1, row.elapsedMs() * scale),
          OUTCOME_COLOURS.getOrDefault(row.outcome(), "#17becf"), "elapsed " + row.elapsedMs() + " ms, " + row.outcome());
      svg.append("</g>\n");
    }
    int legend = bottom + 24;
    legend(svg, LABEL, legend, RECEIVED_COLOUR, "budget received");
    legend(svg, LABEL + 150, legend, SENT_COLOUR, "budget sent");
    legend(svg, LABEL + 280, legend, OUTCOME_COLOURS.get("OK"), "elapsed (colour = outcome)");
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static void bar(StringBuilder svg, String kind, double x, int y, double width, String colour, String title) {
    if (width <= 0) {
      return;
    }
    svg.append(String.format(Locale.ROOT,
        "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"%s\"><title>%s</title></rect>%n",
        kind, x, y, width, colour, escape(title)));
  }

  private static void legend(StringBuilder svg, int x, int y, String colour, String label) {
    svg.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
        x, y - 9, colour, x + 18, y, escape(label)));
  }

  private static String table(List<Row> rows) {
    StringBuilder table = new StringBuilder(1024);
    table.append("<table class=\"hops\"><tr><th class=\"l\">service</th><th class=\"l\">tier</th><th>cap</th>")
        .append("<th>start</th><th>received</th><th>sent</th><th>elapsed</th><th class=\"l\">outcome</th>")
        .append("<th class=\"l\">note</th></tr>\n");
    for (Row row : rows) {
      table.append("<tr><td class=\"l\">").append(escape(shortName(row.service()))).append("</td><td class=\"l\">")
          .append(escape(row.tier())).append("</td><td>").append(row.capMs()).append("</td><td>")
          .append(row.startMs()).append("</td><td>").append(row.receivedMs() == 0 ? "-" : row.receivedMs())
          .append("</td><td>").append(row.sentMs() == 0 ? "-" : row.sentMs()).append("</td><td>")
          .append(row.elapsedMs()).append("</td><td class=\"l\">").append(escape(row.outcome()))
          .append("</td><td class=\"l\">").append(escape(row.note())).append("</td></tr>\n");
    }
    return table.append("</table>\n").toString();
  }

  /** 1, 2 or 5 times a power of ten, giving at most 10 ticks over {@code spanMs}. */
  static long tickStep(long spanMs) {
    long step = 1;
    while (true) {
      for (long factor : new long[] {1, 2, 5}) {
        if (spanMs / (step * factor) <= 10) {
          return step * factor;
        }
      }
      step *= 10;
    }
  }

  /** {@code "reqctx.samples.v1.CacheService/Get"} as {@code "CacheService/Get"}. */
  public static String shortName(String service) {
    int slash = service.indexOf('/');
    int dot = slash < 0 ? -1 : service.lastIndexOf('.', slash);
    return dot < 0 ? service : service.substring(dot + 1);
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
