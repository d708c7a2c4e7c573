package io.reqctx.budgets;

/**
 * The checks of {@link FleetLint}, each with a stable id (what findings, JSON and SARIF name), a one-line
 * title and what it checks.
 *
 * <pre>{@code
 * Rule.forId("retry-cannot-fit"); // RETRY_CANNOT_FIT
 * }</pre>
 */
public enum Rule {
  CALLEE_EXCEEDS_CALLER("callee-exceeds-caller",
      "A callee's budget plus the hop reserve exceeds what its caller can give it",
      "The caller's budget minus its reserve (BudgetPolicy.reserveFor) is less than the callee's budget: the callee"
          + " never gets the time it declares, and its own calls and retries are planned for time it will not have."),
  SEQUENCE_EXCEEDS_BUDGET("sequence-exceeds-budget",
      "Calls made one after another sum past the caller's budget",
      "The caller's steps run in sequence (parallel groups count as their slowest call); when the earlier steps take"
          + " their full budgets, a later call gets less than its budget, or is not sent at all."),
  RETRY_CANNOT_FIT("retry-cannot-fit",
      "attempts x per-attempt cap + backoff exceeds the method's budget",
      "A retry policy whose worst case (every attempt used to its per-attempt cap, every backoff pause at its bound)"
          + " is longer than the method's budget: the last attempts are cut or never start."),
  RETRY_AMPLIFICATION("retry-amplification",
      "Retries stacked on several layers of a path multiply past the limit",
      "Each layer that retries multiplies the calls below it (3 x 3 x 3 = 27): one request may reach a method more"
          + " times than defaults.maxRetryAmplification allows."),
  TIER_ORDER("tier-order",
      "A call goes up the tier order",
      "A method calls a method of a higher tier (or of its own tier where sameTierCalls is 'violation'); the budget"
          + " policy reports such calls as tier violations."),
  CALL_CYCLE("call-cycle",
      "The call graph has a cycle",
      "Methods call each other in a loop: budgets shrink on every round until the hop-count limit or the minimum"
          + " viable budget stops the request."),
  MISSING_BUDGET("missing-budget",
      "A method without a budget on a path with budgets",
      "A method on a path where other methods declare budgets declares none, so only its tier's cap bounds it."),
  STREAMING_WITHOUT_LONG_LIVED("streaming-without-long-lived",
      "A streaming method without a long-lived policy",
      "A streaming method is cut at its budget or tier cap like a unary call unless it is declared long-lived."),
  HEDGING_CANNOT_FIT("hedging-cannot-fit",
      "Hedging delay x (attempts - 1) leaves the last request less than the minimum viable budget",
      "The last hedged request starts (attempts - 1) x delay after the first; what is left of the budget then, minus"
          + " the reserve, must be at least the minimum viable budget or the request is pointless."),
  YAML_PROTO_MISMATCH("yaml-proto-mismatch",
      "The budget file and the method's .proto options give different numbers",
      "A method's tier, budget or streaming kind in the budget file differs from its (reqctx.v1.budget) option or its"
          + " .proto declaration: two sources of truth that disagree."),
  UNKNOWN_CALLEE("unknown-callee",
      "A call to a method the fleet does not declare",
      "A call names a method that no service of the fleet (nor its proto sources) declares, so nothing about it can"
          + " be checked."),
  BUDGET_ABOVE_TIER_CAP("budget-above-tier-cap",
      "A method budget above its tier's cap",
      "The tier's cap bounds every budget of the tier, so the larger declared budget never applies."),
  RETRY_NOT_IDEMPOTENT("retry-not-idempotent",
      "Retries or hedging on a method not marked idempotent",
      "A retried or hedged call may run more than once on the server; only idempotent methods should be retried."),
  ATTEMPTS_ABOVE_GRPC_LIMIT("attempts-above-grpc-limit",
      "More than 5 retry or hedging attempts",
      "gRPC clients treat maxAttempts above 5 as 5, so the exported policy would not do what the file says.");

  private final String id;
  private final String title;
  private final String description;

  Rule(String id, String title, String description) {
    this.id = id;
    this.title = title;
    this.description = description;
  }

  /** The rule whose id is {@code id}. */
  public static Rule forId(String id) {
    for (Rule rule : values()) {
      if (rule.id.equals(id)) {
        return rule;
      }
    }
    throw new IllegalArgumentException("no lint rule '" + id + "'");
  }

  /** The stable id, e.g. {@code retry-cannot-fit}. */
  public String id() {
    return id;
  }

  /** One line. */
  public String title() {
    return title;
  }

  /** What the rule checks and why it matters. */
  public String description() {
    return description;
  }
}
