package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The findings of {@link FleetLint#check} for one fleet, and their text, JSON and SARIF forms.
 *
 * <pre>{@code
 * LintReport report = FleetLint.check(fleet);
 * if (!report.isClean()) {
 *   System.out.print(report.render(ReportFormat.TEXT));
 * }
 * }</pre>
 *
 * @param fleet the fleet that was checked
 * @param findings the findings, ordered by file, line, column and rule
 */
public record LintReport(Fleet fleet, List<Finding> findings) {
  static final String TOOL = "reqctx-budgets";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  public LintReport {
    requireNonNull(fleet, "fleet");
    findings = List.copyOf(findings);
  }

  /** Whether there is no finding. */
  public boolean isClean() {
    return findings.isEmpty();
  }

  /** The findings of one rule. */
  public List<Finding> findings(Rule rule) {
    return findings.stream().filter(f -> f.rule() == rule).toList();
  }

  /** The report in {@code format}, ending with a newline. */
  public String render(ReportFormat format) {
    requireNonNull(format, "format");
    return switch (format) {
      case TEXT -> text();
      case JSON -> GSON.toJson(json()) + "\n";
      case SARIF -> GSON.toJson(sarif()) + "\n";
    };
  }

  private long count(Severity severity) {
    return findings.stream().filter(f -> f.severity() == severity).count();
  }

  private String text() {
    StringBuilder out = new StringBuilder();
    for (Finding f : findings) {
      out.append(f.location()).append(": ").append(f.severity().name().toLowerCase(Locale.ROOT))
          .append(" [").append(f.rule().id()).append("] ").append(f.message()).append('\n');
      if (!f.numbers().isEmpty()) {
        out.append("    numbers:");
        for (Map.Entry<String, Object> n : f.numbers().entrySet()) {
          out.append(' ').append(n.getKey()).append('=').append(n.getValue());
        }
        out.append('\n');
      }
      out.append("    fix: ").append(f.fix()).append('\n');
    }
    int methods = fleet.methods().size();
    long calls = fleet.methods().stream().mapToLong(m -> m.calls().stream().mapToLong(s -> s.calls().size()).sum()).sum();
    String size = fleet.services().size() + " services, " + methods + " methods, " + calls + " calls";
    if (findings.isEmpty()) {
      out.append("fleet '").append(fleet.name()).append("' (").append(fleet.location().file()).append("): clean (")
          .append(size).append(")\n");
    } else {
      out.append("fleet '").append(fleet.name()).append("' (").append(fleet.location().file()).append("): ")
          .append(findings.size()).append(findings.size() == 1 ? " finding" : " findings").append(" (")
          .append(plural(count(Severity.ERROR), "error")).append(", ").append(plural(count(Severity.WARNING), "warning"))
          .append("; ")
          .append(size).append(")\n");
    }
    return out.toString();
  }

  private static String plural(long n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  private JsonObject json() {
    JsonObject root = new JsonObject();
    root.addProperty("fleet", fleet.name());
    root.addProperty("file", fleet.location().file());
    JsonArray list = new JsonArray();
    for (Finding f : findings) {
      JsonObject o = new JsonObject();
      o.addProperty("rule", f.rule().id());
      o.addProperty("severity", f.severity().name().toLowerCase(Locale.ROOT));
      o.addProperty("file", f.location().file());
      o.addProperty("line", f.location().line());
      o.addProperty("column", f.location().column());
      o.addProperty("message", f.message());
      o.add("numbers", numbers(f));
      o.addProperty("fix", f.fix());
      list.add(o);
    }
    root.add("findings", list);
    JsonObject summary = new JsonObject();
    summary.addProperty("errors", count(Severity.ERROR));
    summary.addProperty("warnings", count(Severity.WARNING));
    root.add("summary", summary);
    return root;
  }

  private static JsonObject numbers(Finding f) {
    JsonObject numbers = new JsonObject();
    for (Map.Entry<String, Object> n : f.numbers().entrySet()) {
      Object v = n.getValue();
      numbers.add(n.getKey(), v instanceof Number num ? new JsonPrimitive(num) : new JsonPrimitive(String.valueOf(v)));
    }
    return numbers;
  }

  private JsonObject sarif() {
    JsonObject driver = new JsonObject();
    driver.addProperty("name", TOOL);
    driver.addProperty("informationUri", "https://github.com/reqctx/reqctx/blob/main/docs/BUDGETS.md");
    JsonArray rules = new JsonArray();
    for (Rule rule : Rule.values()) {
      JsonObject r = new JsonObject();
      r.addProperty("id", rule.id());
      r.add("shortDescription", text(rule.title()));
      r.add("fullDescription", text(rule.description()));
      r.add("help", text(rule.description()));
      JsonObject config = new JsonObject();
      config.addProperty("level", rule == Rule.RETRY_NOT_IDEMPOTENT ? "warning" : "error");
      r.add("defaultConfiguration", config);
      rules.add(r);
    }
    driver.add("rules", rules);
    JsonObject tool = new JsonObject();
    tool.add("driver", driver);

    JsonArray results = new JsonArray();
    for (Finding f : findings) {
      JsonObject result = new JsonObject();
      result.addProperty("ruleId", f.rule().id());
      result.addProperty("ruleIndex", f.rule().ordinal());
      result.addProperty("level", f.severity().name().toLowerCase(Locale.ROOT));
      result.add("message", text(f.message() + " Fix: " + f.fix()));
      JsonObject physical = new JsonObject();
      JsonObject artifact = new JsonObject();
      artifact.addProperty("uri", f.location().file().replace('\\', '/'));
      physical.add("artifactLocation", artifact);
      if (f.location().hasLine()) {
        JsonObject region = new JsonObject();
        region.addProperty("startLine", f.location().line());
        if (f.location().column() > 0) {
          region.addProperty("startColumn", f.location().column());
        }
        physical.add("region", region);
      }
      JsonObject location = new JsonObject();
      location.add("physicalLocation", physical);
      JsonArray locations = new JsonArray();
      locations.add(location);
      result.add("locations", locations);
      JsonObject properties = new JsonObject();
      properties.add("numbers", numbers(f));
      properties.addProperty("fix", f.fix());
      result.add("properties", properties);
      results.add(result);
    }
    JsonObject run = new JsonObject();
    run.add("tool", tool);
    run.add("results", results);
    JsonArray runs = new JsonArray();
    runs.add(run);
    JsonObject sarif = new JsonObject();
    sarif.addProperty("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    sarif.addProperty("version", "2.1.0");
    sarif.add("runs", runs);
    return sarif;
  }

  private static JsonObject text(String text) {
    JsonObject o = new JsonObject();
    o.addProperty("text", text);
    return o;
  }
}
