package io.reqctx.samples.soak;

import io.reqctx.chaos.Chaos;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The figures of one soak and its verdict. The verdict holds when every request got a terminal answer,
 * every answer is explained ({@link Answers.Category}), no scope was left open and nothing leaked (no
 * scope, task, attach, ctx or value), heap after a full collection, threads and open file descriptors
 * ended within the plan's tolerances of their start values, and each drill's tier recovered.
 */
public final class SoakResult {
  private final SoakPlan plan;
  private final Answers answers;
  private final Duration runTime;
  private final Resources start;
  private final Resources end;
  private final double loadAverage;
  private final double loadMax;
  private final long scopesOpenAtEnd;
  private final boolean quiet;
  private final long leakedScopes;
  private final long orphanedTasks;
  private final long attachLeaks;
  private final int valueLeaks;
  private final long valueLeakReports;
  private final long leakReports;
  private final String firstLeak;
  private final Map<String, Chaos.Stats> chaos;
  private final List<Drill> drills;
  private final Duration total;

  /**
   * A drill and how long its tier took to recover.
   *
   * @param what what was done to the tier
   * @param since from when recovery is measured
   * @param recovery until the first of {@value Soak#HEALTHY_PROBES} fresh answers in a row, or null
   *     when the tier did not recover within a minute
   * @param answers the soak's answers from the drill's start until the tier recovered, by category
   */
  public record Drill(String what, String since, @Nullable Duration recovery, String answers) {}

  SoakResult(SoakPlan plan, Answers answers, Duration runTime, Resources start, Resources end, double loadAverage,
      double loadMax, long scopesOpenAtEnd, boolean quiet, long leakedScopes, long orphanedTasks, long attachLeaks,
      int valueLeaks, long valueLeakReports, long leakReports, String firstLeak, Map<String, Chaos.Stats> chaos,
      List<Drill> drills, Duration total) {
    this.plan = plan;
    this.answers = answers;
    this.runTime = runTime;
    this.start = start;
    this.end = end;
    this.loadAverage = loadAverage;
    this.loadMax = loadMax;
    this.scopesOpenAtEnd = scopesOpenAtEnd;
    this.quiet = quiet;
    this.leakedScopes = leakedScopes;
    this.orphanedTasks = orphanedTasks;
    this.attachLeaks = attachLeaks;
    this.valueLeaks = valueLeaks;
    this.valueLeakReports = valueLeakReports;
    this.leakReports = leakReports;
    this.firstLeak = firstLeak;
    this.chaos = chaos;
    this.drills = drills;
    this.total = total;
  }

  static boolean withinTolerance(SoakPlan plan, Resources start, Resources end) {
    return end.heapBytes() <= start.heapBytes() + plan.heapToleranceMiB() * 1024 * 1024
        && end.threads() <= start.threads() + plan.threadTolerance()
        && (start.fds() < 0 || end.fds() <= start.fds() + plan.fdTolerance());
  }

  /** What does not hold; empty when the verdict passes. */
  public List<String> failures() {
    List<String> failures = new ArrayList<>();
    long answered = answers.total();
    if (answered != plan.requests() || answers.count(Answers.Category.NO_ANSWER) > 0) {
      failures.add("not every request got a terminal answer (" + answers.count(Answers.Category.NO_ANSWER)
          + " without one, " + answered + " judged of " + plan.requests() + ")");
    }
    if (answers.count(Answers.Category.UNEXPLAINED) > 0) {
      failures.add(answers.count(Answers.Category.UNEXPLAINED) + " answers are unexplained");
    }
    if (!quiet || scopesOpenAtEnd != 0 || leakedScopes != 0) {
      failures.add("scopes leaked: " + scopesOpenAtEnd + " still open, " + leakedScopes + " reported");
    }
    if (orphanedTasks != 0) {
      failures.add(orphanedTasks + " tasks still ran after their request ended");
    }
    if (attachLeaks != 0) {
      failures.add(attachLeaks + " makeCurrent() scopes leaked or closed wrongly");
    }
    if (valueLeaks != 0) {
      failures.add(valueLeaks + " ctxs or values were still reachable after their request ended");
    }
    if (leakReports != 0 && failures.stream().noneMatch(f -> f.contains("leak") || f.contains("reachable") || f.contains("tasks"))) {
      failures.add(leakReports + " leaks reported: " + firstLeak);
    }
    if (!withinTolerance(plan, start, end)) {
      failures.add("resources did not come back within tolerance: " + resources());
    }
    for (Drill drill : drills) {
      if (drill.recovery() == null) {
        failures.add(drill.what() + ": the chain did not recover within " + Soak.RECOVERY_BOUND.toSeconds() + " s");
      }
    }
    return failures;
  }

  /** Whether the verdict holds. */
  public boolean passed() {
    return failures().isEmpty();
  }

  private String resources() {
    return String.format(Locale.ROOT, "heap %.1f -> %.1f MiB (tolerance +%d MiB), threads %d -> %d (+%d), open fds %d -> %d (+%d)",
        start.heapMiB(), end.heapMiB(), plan.heapToleranceMiB(), start.threads(), end.threads(), plan.threadTolerance(),
        start.fds(), end.fds(), plan.fdTolerance());
  }

  /** Prints the figures and the verdict, ending with a {@code soak-result} line for scripts. */
  public void print(PrintWriter out) {
    long n = plan.requests();
    out.println();
    out.println(String.format(Locale.ROOT, "answers: %d requests in %.1f s (%.0f req/s), load average %.1f (max %.1f) during the run",
        n, runTime.toMillis() / 1000.0, n / Math.max(0.001, runTime.toMillis() / 1000.0), loadAverage, loadMax));
    for (Answers.Category category : Answers.Category.values()) {
      out.println(String.format(Locale.ROOT, "  %-50s %8d  %5.1f %%", category.label, answers.count(category),
          100.0 * answers.count(category) / n));
      if (category == Answers.Category.DEADLINE) {
        answers.reasons504().forEach((reason, count) -> out.println(String.format(Locale.ROOT, "      %8d  %s", count, reason)));
      }
      if (category == Answers.Category.CLIENT_CANCELLED) {
        answers.gatewaySawCancel().forEach((outcome, count) ->
            out.println(String.format(Locale.ROOT, "      %8d  the gateway's hop ended %s", count, outcome)));
      }
    }
    answers.unexplainedSamples().forEach(sample -> out.println("      e.g. " + sample));
    out.println("chaos (injected / picked for a request that had already ended):");
    chaos.forEach((role, stats) -> {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-10s", role));
      stats.injected().forEach((fault, count) -> line.append(' ').append(fault).append(' ').append(count)
          .append(stats.missed().containsKey(fault) ? " / " + stats.missed().get(fault) : ""));
      out.println(line);
    });
    out.println(String.format(Locale.ROOT,
        "leaks: scopes still open %d, leaked scopes %d, orphaned tasks %d, attach leaks %d, value leaks %d (%d reported)",
        scopesOpenAtEnd, leakedScopes, orphanedTasks, attachLeaks, valueLeaks, valueLeakReports));
    out.println("resources (after a full GC): " + resources());
    for (Drill drill : drills) {
      out.println("drill: " + drill.what() + ": "
          + (drill.recovery() == null ? "did not recover within " + Soak.RECOVERY_BOUND.toSeconds() + " s"
              : String.format(Locale.ROOT, "answers fresh again %.2f s %s", drill.recovery().toMillis() / 1000.0, drill.since()))
          + "; answers meanwhile: " + drill.answers());
    }
    List<String> failures = failures();
    if (failures.isEmpty()) {
      out.println("VERDICT PASS: every request got a terminal answer; every status is explained; 0 leaked scopes, "
          + "0 orphaned tasks, 0 value leaks; heap, threads and open fds back within tolerance"
          + (drills.isEmpty() ? "" : "; every drilled tier recovered"));
    } else {
      out.println("VERDICT FAIL: " + String.join("; ", failures));
    }
    out.println(String.format(Locale.ROOT,
        "soak-result passed=%s requests=%d ok=%d degraded=%d deadline504=%d clientCancelled=%d chaosCancelled=%d chaosSkewReset=%d tierDown502=%d "
            + "unexplained=%d noAnswer=%d scopesOpen=%d leakedScopes=%d orphanedTasks=%d valueLeaks=%d "
            + "heapStartMiB=%.1f heapEndMiB=%.1f threadsStart=%d threadsEnd=%d fdsStart=%d fdsEnd=%d seconds=%.1f",
        passed(), n, answers.count(Answers.Category.OK), answers.count(Answers.Category.DEGRADED),
        answers.count(Answers.Category.DEADLINE), answers.count(Answers.Category.CLIENT_CANCELLED),
        answers.count(Answers.Category.CHAOS_CANCELLED), answers.count(Answers.Category.CHAOS_SKEW_RESET),
        answers.count(Answers.Category.TIER_DOWN),
        answers.count(Answers.Category.UNEXPLAINED), answers.count(Answers.Category.NO_ANSWER), scopesOpenAtEnd,
        leakedScopes, orphanedTasks, valueLeaks, start.heapMiB(), end.heapMiB(), start.threads(), end.threads(),
        start.fds(), end.fds(), total.toMillis() / 1000.0));
    out.flush();
  }
}
