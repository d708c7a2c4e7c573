package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The target of an outgoing call as the {@link BudgetPolicy} sees it: a name for messages, the
 * callee's tier and, optionally, a budget declared for the called method.
 *
 * <pre>{@code
 * Callee cache = Callee.of("cache.CacheService/Get", Tier.CACHE);
 * Callee slowReport = Callee.of("report.ReportService/Build", Tier.SERVICE, Duration.ofMillis(2500));
 * }</pre>
 *
 * @param name what error messages and telemetry call the callee (a service or method name)
 * @param tier the callee's tier; its cap bounds the budget sent
 * @param methodBudget a tighter budget declared for this method, or null
 */
public record Callee(String name, Tier tier, @Nullable Duration methodBudget) {

  public Callee {
    requireNonNull(name, "name");
    requireNonNull(tier, "tier");
    if (methodBudget != null && (methodBudget.isNegative() || methodBudget.isZero())) {
      throw new IllegalArgumentException("method budget of " + name + " must be positive, got " + methodBudget);
    }
  }

  /** A callee without a method budget. */
  public static Callee of(String name, Tier tier) {
    return new Callee(name, tier, null);
  }

  /** A callee whose method declares its own budget. */
  public static Callee of(String name, Tier tier, Duration methodBudget) {
    return new Callee(name, tier, requireNonNull(methodBudget, "methodBudget"));
  }
}
