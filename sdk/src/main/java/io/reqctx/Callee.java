package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A called method as the {@link BudgetPolicy} sees it: a name for messages, the tier of the service
 * that implements it, optionally a budget declared for the method, and whether the method is
 * long-lived. The same description serves both ends: a client budgets its calls to the method with
 * it, a server bounds the method's inbound calls with it.
 *
 * <ul>
 *   <li>A normal method gets at most its tier's cap; a method budget can only shorten that.
 *   <li>A <b>long-lived</b> method (a watch, a chat, a subscription stream) is exempt from the tier's
 *       cap: it is bounded by the caller's deadline and, when it declares one, by its own cap, which
 *       may be above the tier's. A long-lived method without a cap whose caller sends no deadline runs
 *       until one side ends it or the caller's request is cancelled.
 * </ul>
 *
 * <pre>{@code
 * Callee cache = Callee.of("cache.CacheService/Get", Tier.CACHE);
 * Callee slowReport = Callee.of("report.ReportService/Build", Tier.SERVICE, Duration.ofMillis(2500));
 * Callee watch = Callee.longLived("config.Config/Watch", Tier.SERVICE);                 // no cap
 * Callee export = Callee.longLived("report.ReportService/Export", Tier.SERVICE, Duration.ofMinutes(10));
 * }</pre>
 *
 * @param name what error messages and telemetry call the callee (a service or method name)
 * @param tier the callee's tier; unless the method is long-lived its cap bounds the budget
 * @param methodBudget the budget declared for this method, or null: for a normal method a tighter
 *     limit than the tier's cap, for a long-lived one its own cap (which may be above the tier's)
 * @param longLived whether the tier's cap does not apply to this method
 */
public record Callee(String name, Tier tier, @Nullable Duration methodBudget, boolean longLived) {

  public Callee {
    requireNonNull(name, "name");
    requireNonNull(tier, "tier");
    if (methodBudget != null && (methodBudget.isNegative() || methodBudget.isZero())) {
      throw new IllegalArgumentException("method budget of " + name + " must be positive, got " + methodBudget);
    }
  }

  /** A normal (not long-lived) callee: {@code new Callee(name, tier, methodBudget, false)}. */
  public Callee(String name, Tier tier, @Nullable Duration methodBudget) {
    this(name, tier, methodBudget, false);
  }

  /** A callee without a method budget. */
  public static Callee of(String name, Tier tier) {
    return new Callee(name, tier, null, false);
  }

  /** A callee whose method declares its own budget, within the tier's cap. */
  public static Callee of(String name, Tier tier, Duration methodBudget) {
    return new Callee(name, tier, requireNonNull(methodBudget, "methodBudget"), false);
  }

  /** A long-lived method without a cap: only the caller's deadline bounds it. */
  public static Callee longLived(String name, Tier tier) {
    return new Callee(name, tier, null, true);
  }

  /** A long-lived method with its own cap {@code cap}, which replaces the tier's and may exceed it. */
  public static Callee longLived(String name, Tier tier, Duration cap) {
    return new Callee(name, tier, requireNonNull(cap, "cap"), true);
  }
}
