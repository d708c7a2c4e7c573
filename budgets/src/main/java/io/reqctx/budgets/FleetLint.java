package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import io.reqctx.BudgetPolicy;
import io.reqctx.OutboundBudget;
import io.reqctx.Tier;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Checks a {@link Fleet} across its whole call graph: every rule of {@link Rule}. All budget arithmetic
 * (reserves, what is left after them, fail-fast) goes through each calling service's {@link BudgetPolicy},
 * the same code the interceptors run, so a finding names the numbers the interceptors would apply.
 *
 * <p>The model of time: a method starts with its full budget ({@code min(budget, tier cap)}); a call
 * lasts at most the budget sent with it; steps run one after another, the calls of a parallel group at
 * the same time. Long-lived methods are exempt from budgets (a long-lived caller with {@code maxDuration}
 * budgets its calls from it).
 *
 * <pre>{@code
 * LintReport report = FleetLint.check(FleetFiles.read(Path.of("fleet.yaml")));
 * report.findings().forEach(System.out::println);
 * // fleet.yaml:31:13: error [callee-exceeds-caller] order.GetOrder can give inventory.CheckStock at most ...
 * }</pre>
 */
public final class FleetLint {
  /** gRPC clients treat {@code maxAttempts} above this as this. */
  public static final int GRPC_MAX_ATTEMPTS = 5;

  private final Fleet fleet;
  private final Map<String, FleetMethod> methods = new LinkedHashMap<>();
  private final Map<String, List<Edge>> out = new LinkedHashMap<>();
  private final Map<String, List<Edge>> in = new LinkedHashMap<>();
  private final Set<CallStep.Call> squeezedAlone = new HashSet<>();
  private final List<Finding> findings = new ArrayList<>();

  private record Edge(FleetMethod caller, CallStep.Call call, @Nullable FleetMethod callee) {}

  private FleetLint(Fleet fleet) {
    this.fleet = fleet;
    for (FleetMethod method : fleet.methods()) {
      methods.put(method.name(), method);
      out.put(method.name(), new ArrayList<>());
      in.put(method.name(), new ArrayList<>());
    }
    for (FleetMethod method : fleet.methods()) {
      for (CallStep step : method.calls()) {
        for (CallStep.Call call : step.calls()) {
          FleetMethod callee = methods.get(call.method());
          Edge edge = new Edge(method, call, callee);
          out.get(method.name()).add(edge);
          if (callee != null) {
            in.get(callee.name()).add(edge);
          }
        }
      }
    }
  }

  /** Every finding for {@code fleet}, ordered by file, line, column and rule. */
  public static LintReport check(Fleet fleet) {
    requireNonNull(fleet, "fleet");
    FleetLint lint = new FleetLint(fleet);
    lint.run();
    List<Finding> sorted = new ArrayList<>(lint.findings);
    sorted.sort(Comparator.comparing((Finding f) -> f.location().file())
        .thenComparingInt(f -> f.location().line())
        .thenComparingInt(f -> f.location().column())
        .thenComparing(f -> f.rule().ordinal()));
    return new LintReport(fleet, sorted);
  }

  private void run() {
    for (FleetMethod method : methods.values()) {
      checkBudgetAboveCap(method);
      checkStreaming(method);
      checkRetry(method);
      checkHedging(method);
      checkProtoMismatch(method);
    }
    for (FleetMethod method : methods.values()) {
      for (Edge edge : out.get(method.name())) {
        checkEdge(edge);
      }
      checkSequence(method);
    }
    checkCycles();
    checkAmplification();
    checkMissingBudgets();
  }

  // ---- per method

  private void checkBudgetAboveCap(FleetMethod m) {
    Duration budget = m.effectiveBudget().orElse(null);
    if (m.longLived() != null || budget == null || budget.compareTo(m.tier().cap()) <= 0) {
      return;
    }
    add(Rule.BUDGET_ABOVE_TIER_CAP, Severity.ERROR, budgetLocation(m),
        m.name() + " declares a budget of " + fmt(budget) + ", above the " + fmt(m.tier().cap()) + " cap of its tier '"
            + m.tier().name() + "': it never gets more than " + fmt(m.tier().cap()),
        numbers("budgetMs", ms(budget), "tierCapMs", ms(m.tier().cap())),
        "lower the budget to at most " + fmt(m.tier().cap()) + ", or serve the method from a tier with a larger cap");
  }

  private void checkStreaming(FleetMethod m) {
    if (m.streaming() == Streaming.NONE || m.longLived() != null) {
      return;
    }
    Duration budget = ownBudget(m);
    add(Rule.STREAMING_WITHOUT_LONG_LIVED, Severity.ERROR, m.locationOf("streaming"),
        m.name() + " is a " + m.streaming().fileName() + "-streaming method without a long-lived policy: every stream is"
            + " cut after " + fmt(requireNonNull(budget)) + " (min of its budget and the " + m.tier().name() + " cap)",
        numbers("streaming", m.streaming().fileName(), "cutAfterMs", ms(budget)),
        "declare 'longLived: true' (or 'longLived: {maxDuration: 30m}') for " + m.name()
            + ", or make it unary if streams are not meant to outlive a request");
  }

  private void checkRetry(FleetMethod m) {
    RetryPolicy retry = m.retry();
    if (retry == null) {
      return;
    }
    if (retry.attempts() > 1) {
      checkRepeats(m, "retried", "retry", retry.attempts(), retry.location());
    }
    Duration budget = ownBudget(m);
    if (budget == null || retry.attempts() < 2) {
      return;
    }
    Duration backoff = retry.backoff().worstCaseTotal(retry.attempts());
    Duration needed = retry.worstCase();
    if (needed.compareTo(budget) <= 0) {
      return;
    }
    int fitting = 0;
    for (int n = 1; n <= retry.attempts(); n++) {
      if (retry.perAttempt().multipliedBy(n).plus(retry.backoff().worstCaseTotal(n)).compareTo(budget) <= 0) {
        fitting = n;
      }
    }
    Duration perAttemptFit = Duration.ofMillis(budget.minus(backoff).dividedBy(retry.attempts()).toMillis());
    String fix = (fitting >= 1 ? "lower attempts to " + fitting : "lower perAttempt") + ", or perAttempt to "
        + (perAttemptFit.isNegative() || perAttemptFit.isZero() ? "(no value fits with this backoff)" : fmt(perAttemptFit))
        + ", or raise the budget of " + m.name() + " to " + fmt(needed);
    add(Rule.RETRY_CANNOT_FIT, Severity.ERROR, retry.location(),
        m.name() + " retry policy needs " + fmt(needed) + " (" + retry.attempts() + " attempts x " + fmt(retry.perAttempt())
            + " + backoff " + fmt(backoff) + ") but the method's budget is " + fmt(budget),
        numbers("attempts", (long) retry.attempts(), "perAttemptMs", ms(retry.perAttempt()), "backoffMs", ms(backoff),
            "neededMs", ms(needed), "budgetMs", ms(budget), "fittingAttempts", (long) fitting),
        fix);
  }

  /** The checks retries and hedging share: gRPC's attempt limit, and idempotency. */
  private void checkRepeats(FleetMethod m, String done, String policy, int attempts, Location at) {
    if (attempts > GRPC_MAX_ATTEMPTS) {
      add(Rule.ATTEMPTS_ABOVE_GRPC_LIMIT, Severity.ERROR, at,
          m.name() + " is " + done + " with " + attempts + " attempts; gRPC clients use at most " + GRPC_MAX_ATTEMPTS,
          numbers("attempts", (long) attempts, "grpcLimit", (long) GRPC_MAX_ATTEMPTS),
          "lower attempts to " + GRPC_MAX_ATTEMPTS + " or fewer");
    }
    if (!m.idempotent()) {
      add(Rule.RETRY_NOT_IDEMPOTENT, Severity.WARNING, at,
          m.name() + " is " + done + " (" + attempts + " attempts) but not marked idempotent: the server may run one"
              + " call more than once",
          numbers("attempts", (long) attempts),
          "mark it 'idempotent: true' if running it twice is harmless, otherwise remove the " + policy + " policy");
    }
  }

  private void checkHedging(FleetMethod m) {
    HedgingPolicy hedging = m.hedging();
    if (hedging == null) {
      return;
    }
    checkRepeats(m, "hedged", "hedging", hedging.attempts(), hedging.location());
    Duration budget = ownBudget(m);
    if (budget == null) {
      return;
    }
    BudgetPolicy policy = policyOf(m);
    OutboundBudget last = policy.within(budget.minus(hedging.lastStart()), m.callee());
    if (last instanceof OutboundBudget.Send) {
      return;
    }
    OutboundBudget.FailFast refused = (OutboundBudget.FailFast) last;
    int fitting = 1;
    for (int n = 2; n <= hedging.attempts(); n++) {
      if (policy.within(budget.minus(hedging.delay().multipliedBy(n - 1L)), m.callee()) instanceof OutboundBudget.Send) {
        fitting = n;
      }
    }
    add(Rule.HEDGING_CANNOT_FIT, Severity.ERROR, hedging.location(),
        m.name() + " hedging starts its last request " + fmt(hedging.lastStart()) + " after the first ("
            + (hedging.attempts() - 1) + " x " + fmt(hedging.delay()) + "); of the " + fmt(budget) + " budget that leaves "
            + fmt(refused.budget()) + " after the " + fmt(refused.reserve()) + " reserve, below the minimum viable "
            + fmt(refused.minimum()),
        numbers("attempts", (long) hedging.attempts(), "delayMs", ms(hedging.delay()), "lastStartMs",
            ms(hedging.lastStart()), "budgetMs", ms(budget), "reserveMs", ms(refused.reserve()), "leftForLastMs",
            ms(refused.budget()), "minimumViableMs", ms(refused.minimum()), "fittingAttempts", (long) fitting),
        fitting >= 2
            ? "lower attempts to " + fitting + ", or shorten the delay, or raise the budget"
            : "shorten the delay or raise the budget; at this delay not even a second request fits");
  }

  private void checkProtoMismatch(FleetMethod m) {
    ProtoDeclaration proto = m.proto();
    if (proto == null) {
      return;
    }
    String where = " (" + proto.location() + ")";
    if (proto.tier() != null && proto.tier() != m.tier()) {
      add(Rule.YAML_PROTO_MISMATCH, Severity.ERROR, serviceTierLocation(m),
          m.name() + " is served by '" + m.service() + "' of tier '" + m.tier().name() + "' but its .proto option says tier '"
              + proto.tier().name() + "'" + where,
          numbers("field", "tier", "yaml", m.tier().name(), "proto", proto.tier().name(), "protoLocation",
              proto.location().toString()),
          "make the (reqctx.v1.budget) option and the budget file name the same tier");
    }
    if (proto.tier() != null && m.budget() != null && !Objects.equals(m.budget(), proto.budget())) {
      String protoBudget = proto.budget() == null ? "no budget (timeout_ms: 0)" : fmt(proto.budget());
      add(Rule.YAML_PROTO_MISMATCH, Severity.ERROR, m.locationOf("budget"),
          m.name() + " has budget " + fmt(m.budget()) + " in the budget file but " + protoBudget + " in its .proto option"
              + where,
          numbers("field", "budget", "yamlMs", ms(m.budget()), "protoMs", proto.budget() == null ? 0L : ms(proto.budget()),
              "protoLocation", proto.location().toString()),
          "keep the budget in one place: drop 'budget:' from the file (the option applies) or set timeout_ms: "
              + m.budget().toMillis() + " in the option");
    }
    if (m.fieldLocations().containsKey("streaming") && m.streaming() != proto.streaming()) {
      add(Rule.YAML_PROTO_MISMATCH, Severity.ERROR, m.locationOf("streaming"),
          m.name() + " is '" + m.streaming().fileName() + "' streaming in the budget file but '" + proto.streaming().fileName()
              + "' in its .proto" + where,
          numbers("field", "streaming", "yaml", m.streaming().fileName(), "proto", proto.streaming().fileName(),
              "protoLocation", proto.location().toString()),
          "set 'streaming: " + proto.streaming().fileName() + "' (the .proto decides what the method is)");
    }
  }

  // ---- per call

  private void checkEdge(Edge edge) {
    FleetMethod caller = edge.caller();
    FleetMethod callee = edge.callee();
    CallStep.Call call = edge.call();
    if (callee == null) {
      add(Rule.UNKNOWN_CALLEE, Severity.ERROR, call.location(),
          caller.name() + " calls " + call.method() + ", which no service of the fleet declares",
          numbers("callee", call.method()),
          "declare " + call.method() + " under the service that serves it (or list its descriptor set under 'protos:'),"
              + " or fix the name");
      return;
    }
    BudgetPolicy policy = policyOf(caller);
    if (policy.isTierViolation(caller.tier(), callee.tier())) {
      boolean same = caller.tier().rank() == callee.tier().rank();
      add(Rule.TIER_ORDER, Severity.ERROR, call.location(),
          caller.name() + " (tier " + caller.tier().name() + ", rank " + caller.tier().rank() + ") calls " + callee.name()
              + " (tier " + callee.tier().name() + ", rank " + callee.tier().rank() + "): "
              + (same ? "a call within the same tier where sameTierCalls is 'violation'" : "a call up the tier order"),
          numbers("callerTier", caller.tier().name(), "callerRank", (long) caller.tier().rank(), "calleeTier",
              callee.tier().name(), "calleeRank", (long) callee.tier().rank()),
          same ? "set 'sameTierCalls: allowed' for " + caller.service() + ", or move one of the two methods to another tier"
              : "calls go down the tiers: fix the tier of " + caller.service() + " or " + callee.service()
                  + ", or remove the call");
    }
    Duration callerBudget = ownBudget(caller);
    if (callerBudget == null || callee.longLived() != null) {
      return;
    }
    OutboundBudget verdict = policy.outbound(callerBudget, caller.tier(), callee.callee());
    if (!isSqueezed(verdict)) {
      return;
    }
    squeezedAlone.add(call);
    Duration calleeBudget = ownBudget(callee);
    Duration reserve = policy.reserveFor(callerBudget);
    Duration available = policy.usable(callerBudget);
    long needed = smallestBudgetGiving(policy, requireNonNull(calleeBudget));
    String refused = verdict instanceof OutboundBudget.FailFast
        ? "; that is below the minimum viable " + fmt(policy.minimumViableBudget()) + ", so the call is never sent" : "";
    add(Rule.CALLEE_EXCEEDS_CALLER, call.optional() ? Severity.WARNING : Severity.ERROR, call.location(),
        caller.name() + " can give " + callee.name() + " at most " + fmt(available) + " (budget " + fmt(callerBudget)
            + " - reserve " + fmt(reserve) + "), but " + callee.name() + " has a budget of " + fmt(calleeBudget) + refused,
        numbers("callerBudgetMs", ms(callerBudget), "reserveMs", ms(reserve), "availableMs", ms(available),
            "calleeBudgetMs", ms(calleeBudget)),
        "lower the budget of " + callee.name() + " to at most " + fmt(available) + ", or raise the budget of "
            + caller.name() + " to at least " + needed + "ms" + capNote(caller, needed));
  }

  private void checkSequence(FleetMethod m) {
    Duration budget = ownBudget(m);
    if (budget == null || m.calls().size() < 2) {
      return;
    }
    BudgetPolicy policy = policyOf(m);
    Duration remaining = budget;
    int stepNumber = 0;
    for (CallStep step : m.calls()) {
      stepNumber++;
      Duration longest = Duration.ZERO;
      for (CallStep.Call call : step.calls()) {
        FleetMethod callee = methods.get(call.method());
        if (callee == null || callee.longLived() != null) {
          continue;
        }
        OutboundBudget verdict = policy.outbound(remaining, m.tier(), callee.callee());
        Duration sent = verdict instanceof OutboundBudget.Send send ? send.budget() : Duration.ZERO;
        if (isSqueezed(verdict) && !squeezedAlone.contains(call)) {
          reportSequence(m, call, callee, stepNumber, budget, remaining, sent, policy);
          return;
        }
        longest = sent.compareTo(longest) > 0 ? sent : longest;
      }
      remaining = remaining.minus(longest);
    }
  }

  private void reportSequence(FleetMethod m, CallStep.Call call, FleetMethod callee, int step, Duration budget,
      Duration remaining, Duration sent, BudgetPolicy policy) {
    Duration calleeBudget = requireNonNull(ownBudget(callee));
    Duration spent = budget.minus(remaining);
    Duration reserve = policy.reserveFor(remaining);
    Duration total = Duration.ZERO;
    for (CallStep s : m.calls()) {
      Duration longest = Duration.ZERO;
      for (CallStep.Call c : s.calls()) {
        FleetMethod target = methods.get(c.method());
        Duration own = target == null || target.longLived() != null ? null : ownBudget(target);
        if (own != null && own.compareTo(longest) > 0) {
          longest = own;
        }
      }
      total = total.plus(longest);
    }
    add(Rule.SEQUENCE_EXCEEDS_BUDGET, call.optional() ? Severity.WARNING : Severity.ERROR, call.location(),
        "the calls of " + m.name() + " run one after another and need " + fmt(total) + " of its " + fmt(budget)
            + " budget: the steps before " + callee.name() + " (step " + step + ") may take " + fmt(spent) + ", leaving "
            + fmt(remaining) + "; it needs " + fmt(calleeBudget) + " + reserve " + fmt(reserve) + " but gets "
            + (sent.isZero() ? "nothing (not sent: below the minimum viable " + fmt(policy.minimumViableBudget()) + ")"
                : fmt(sent)),
        numbers("callerBudgetMs", ms(budget), "step", (long) step, "spentBeforeMs", ms(spent), "remainingMs",
            ms(remaining), "reserveMs", ms(reserve), "calleeBudgetMs", ms(calleeBudget), "sentMs", ms(sent),
            "sequenceMs", ms(total)),
        "run independent calls in a parallel group, lower the budgets of the calls so they sum to less than "
            + fmt(budget) + ", or raise the budget of " + m.name());
  }

  // ---- graph

  private void checkCycles() {
    Map<String, Integer> state = new HashMap<>(); // absent: new, 1: on the stack, 2: done
    Set<String> reported = new HashSet<>();
    for (String start : methods.keySet()) {
      if (!state.containsKey(start)) {
        findCycles(start, state, new ArrayList<>(), reported);
      }
    }
  }

  private void findCycles(String method, Map<String, Integer> state, List<String> stack, Set<String> reported) {
    state.put(method, 1);
    stack.add(method);
    for (Edge edge : out.get(method)) {
      if (edge.callee() == null) {
        continue;
      }
      String next = edge.callee().name();
      Integer s = state.get(next);
      if (s == null) {
        findCycles(next, state, stack, reported);
      } else if (s == 1) {
        List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(next), stack.size()));
        if (reported.add(canonical(cycle))) {
          cycle.add(next);
          add(Rule.CALL_CYCLE, Severity.ERROR, edge.call().location(),
              "the calls form a cycle: " + String.join(" -> ", cycle),
              numbers("length", (long) (cycle.size() - 1), "cycle", String.join(" -> ", cycle)),
              "break the cycle: one of these calls must go (a method never waits for its own callers)");
        }
      }
    }
    stack.remove(stack.size() - 1);
    state.put(method, 2);
  }

  private static String canonical(List<String> cycle) {
    int start = 0;
    for (int i = 1; i < cycle.size(); i++) {
      if (cycle.get(i).compareTo(cycle.get(start)) < 0) {
        start = i;
      }
    }
    List<String> rotated = new ArrayList<>(cycle.subList(start, cycle.size()));
    rotated.addAll(cycle.subList(0, start));
    return String.join("\n", rotated);
  }

  private void checkAmplification() {
    Set<String> explored = new HashSet<>();
    Set<CallStep.Call> reported = new HashSet<>();
    Set<String> reached = new HashSet<>();
    List<String> starts = new ArrayList<>();
    for (String name : methods.keySet()) {
      if (in.get(name).isEmpty()) {
        starts.add(name);
      }
    }
    for (String start : starts) {
      markReachable(start, reached);
    }
    for (String name : methods.keySet()) { // methods only on cycles have no root
      if (!reached.contains(name)) {
        starts.add(name);
        markReachable(name, reached);
      }
    }
    for (String start : starts) {
      FleetMethod root = methods.get(start);
      List<String> path = new ArrayList<>();
      path.add(step(root));
      amplify(root, root.attemptsPerCall(), path, new HashSet<>(Set.of(start)), explored, reported);
    }
  }

  private void amplify(FleetMethod method, long product, List<String> path, Set<String> onPath, Set<String> explored,
      Set<CallStep.Call> reported) {
    if (!explored.add(method.name() + "#" + product)) {
      return;
    }
    for (Edge edge : out.get(method.name())) {
      FleetMethod callee = edge.callee();
      if (callee == null || onPath.contains(callee.name())) {
        continue;
      }
      long next = product * callee.attemptsPerCall();
      path.add(step(callee));
      if (next > fleet.maxRetryAmplification()) {
        if (reported.add(edge.call())) {
          List<String> factors = new ArrayList<>();
          for (String p : path) {
            int x = p.lastIndexOf(" x");
            if (x >= 0) {
              factors.add(p.substring(x + 2));
            }
          }
          add(Rule.RETRY_AMPLIFICATION, Severity.ERROR, edge.call().location(),
              "one request may reach " + callee.name() + " " + next + " times: " + String.join(" -> ", path) + " ("
                  + String.join(" x ", factors) + " = " + next + " > limit " + fleet.maxRetryAmplification() + ")",
              numbers("amplification", next, "limit", (long) fleet.maxRetryAmplification(), "path",
                  String.join(" -> ", path)),
              "retry at one layer only (the origin, or the layer closest to the failure), lower the attempts, or raise"
                  + " defaults.maxRetryAmplification if this is intended");
        }
      } else {
        onPath.add(callee.name());
        amplify(callee, next, path, onPath, explored, reported);
        onPath.remove(callee.name());
      }
      path.remove(path.size() - 1);
    }
  }

  private static String step(FleetMethod m) {
    return m.attemptsPerCall() > 1 ? m.name() + " x" + m.attemptsPerCall() : m.name();
  }

  private void markReachable(String start, Set<String> reached) {
    Deque<String> todo = new ArrayDeque<>(List.of(start));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (reached.add(name)) {
        for (Edge edge : out.get(name)) {
          if (edge.callee() != null) {
            todo.push(edge.callee().name());
          }
        }
      }
    }
  }

  private void checkMissingBudgets() {
    for (FleetMethod m : methods.values()) {
      if (m.longLived() != null || m.effectiveBudget().isPresent()) {
        continue;
      }
      FleetMethod budgeted = nearestBudgeted(m, true);
      if (budgeted == null) {
        budgeted = nearestBudgeted(m, false);
      }
      if (budgeted == null) {
        continue;
      }
      Duration withBudget = budgeted.effectiveBudget().orElseThrow();
      add(Rule.MISSING_BUDGET, Severity.ERROR, m.location(),
          m.name() + " declares no budget but is on a path with " + budgeted.name() + " (budget " + fmt(withBudget)
              + "); only the " + fmt(m.tier().cap()) + " cap of tier '" + m.tier().name() + "' bounds it",
          numbers("tierCapMs", ms(m.tier().cap()), "budgetedMethod", budgeted.name(), "budgetedMs", ms(withBudget)),
          "declare 'budget:' for " + m.name() + " in the budget file (or timeout_ms in its (reqctx.v1.budget) option)");
    }
  }

  private @Nullable FleetMethod nearestBudgeted(FleetMethod from, boolean upwards) {
    Deque<FleetMethod> todo = new ArrayDeque<>(List.of(from));
    Set<String> seen = new HashSet<>(Set.of(from.name()));
    while (!todo.isEmpty()) {
      FleetMethod m = todo.removeFirst();
      for (Edge edge : upwards ? in.get(m.name()) : out.get(m.name())) {
        FleetMethod next = upwards ? edge.caller() : edge.callee();
        if (next == null || !seen.add(next.name())) {
          continue;
        }
        if (next.longLived() == null && next.effectiveBudget().isPresent()) {
          return next;
        }
        todo.addLast(next);
      }
    }
    return null;
  }

  // ---- arithmetic helpers (every reserve through BudgetPolicy)

  private BudgetPolicy policyOf(FleetMethod m) {
    return fleet.service(m.service()).policy();
  }

  /**
   * The most a method ever has: {@code min(budget, tier cap)} through {@link BudgetPolicy#inboundBudget};
   * a long-lived method has its {@code maxDuration} (null: unbounded).
   */
  private @Nullable Duration ownBudget(FleetMethod m) {
    LongLived longLived = m.longLived();
    if (longLived != null) {
      return longLived.maxDuration();
    }
    return policyOf(m).inboundBudget(null, m.tier(), m.effectiveBudget().orElse(null));
  }

  private static boolean isSqueezed(OutboundBudget verdict) {
    return verdict instanceof OutboundBudget.FailFast
        || ((OutboundBudget.Send) verdict).limitedBy() == OutboundBudget.Limit.CALLER_REMAINING;
  }

  /** The smallest whole-millisecond budget whose usable part ({@link BudgetPolicy#usable}) holds {@code needed}. */
  static long smallestBudgetGiving(BudgetPolicy policy, Duration needed) {
    long low = needed.toMillis();
    long high = 2 * needed.toMillis() + 2 * policy.reserveFloor().toMillis() + 2;
    while (low < high) {
      long mid = (low + high) >>> 1;
      if (policy.usable(Duration.ofMillis(mid)).compareTo(needed) >= 0) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return low;
  }

  private static String capNote(FleetMethod caller, long neededMs) {
    Tier tier = caller.tier();
    return neededMs > tier.cap().toMillis()
        ? " (above the " + fmt(tier.cap()) + " cap of tier '" + tier.name() + "': lowering the callee is the way)" : "";
  }

  private Location budgetLocation(FleetMethod m) {
    if (m.budget() == null && m.proto() != null) {
      return m.proto().location();
    }
    return m.locationOf("budget");
  }

  private Location serviceTierLocation(FleetMethod m) {
    return fleet.service(m.service()).location();
  }

  private void add(Rule rule, Severity severity, Location location, String message, Map<String, Object> numbers,
      String fix) {
    findings.add(new Finding(rule, severity, location, message, numbers, fix));
  }

  private static Map<String, Object> numbers(Object... keyValues) {
    Map<String, Object> numbers = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      numbers.put((String) keyValues[i], keyValues[i + 1]);
    }
    return numbers;
  }

  /** Milliseconds as a whole number when whole, else with up to three decimals. */
  static Object ms(Duration duration) {
    BigDecimal millis = DurationText.millis(duration);
    if (millis.stripTrailingZeros().scale() <= 0 && millis.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) < 0) {
      return millis.longValue();
    }
    return millis.setScale(3, RoundingMode.HALF_UP).doubleValue();
  }

  private static String fmt(@Nullable Duration duration) {
    return duration == null ? "unbounded" : DurationText.format(duration);
  }
}
