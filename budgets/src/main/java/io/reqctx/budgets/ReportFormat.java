package io.reqctx.budgets;

import java.util.Locale;

/**
 * How {@link LintReport#render} writes a report.
 *
 * <pre>{@code
 * String sarif = report.render(ReportFormat.SARIF);   // for GitHub code scanning and IDEs
 * }</pre>
 */
public enum ReportFormat {
  /** One block per finding: {@code file:line:col: error [rule] message}, the numbers, the fix. */
  TEXT,
  /** One JSON object: the fleet, the findings with their numbers, a summary. */
  JSON,
  /** SARIF 2.1.0, the static analysis interchange format. */
  SARIF;

  /** The format named {@code name} in any case. */
  public static ReportFormat forName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
