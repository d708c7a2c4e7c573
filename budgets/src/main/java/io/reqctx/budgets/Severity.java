package io.reqctx.budgets;

/**
 * How bad a {@link Finding} is. Both make the command line exit with 1; the difference is for readers
 * and for SARIF viewers ({@code error} / {@code warning}).
 *
 * <pre>{@code
 * report.findings().stream().filter(f -> f.severity() == Severity.ERROR).count();
 * }</pre>
 */
public enum Severity {
  /** The numbers cannot hold: a call is cut, refused or multiplied. */
  ERROR,
  /** The numbers hold only with a fallback, or a policy is risky. */
  WARNING
}
