package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One problem {@link FleetLint} found: the rule, where, a message with the numbers, the numbers
 * themselves (durations in milliseconds) and how to fix it.
 *
 * <pre>{@code
 * Finding f = report.findings().get(0);
 * f.rule();                    // CALLEE_EXCEEDS_CALLER
 * f.location();                // fleet.yaml:31:13
 * f.numbers().get("availableMs"); // 1955
 * }</pre>
 *
 * @param rule the rule
 * @param severity error or warning
 * @param location where to look (the call, the policy or the method)
 * @param message what is wrong, with the numbers
 * @param numbers the numbers behind the message, by name, in a stable order (values: Long, Double or String)
 * @param fix how to fix it
 */
public record Finding(Rule rule, Severity severity, Location location, String message, Map<String, Object> numbers,
    String fix) {

  public Finding {
    requireNonNull(rule, "rule");
    requireNonNull(severity, "severity");
    requireNonNull(location, "location");
    requireNonNull(message, "message");
    requireNonNull(fix, "fix");
    numbers = Collections.unmodifiableMap(new LinkedHashMap<>(numbers));
  }

  @Override
  public String toString() {
    return location + ": " + severity.name().toLowerCase(java.util.Locale.ROOT) + " [" + rule.id() + "] " + message;
  }
}
