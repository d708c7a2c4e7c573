package io.reqctx.samples.demo;

import static java.util.Objects.requireNonNull;

import io.reqctx.samples.chain.ChainMode;
import io.reqctx.samples.chain.HopLog;
import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.OrderView;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Runs the scenarios against two chains started in this JVM, one with reqctx and the baseline without
 * it, and judges each run from the hops' own reports.
 *
 * <pre>{@code
 * try (Scenarios scenarios = Scenarios.start(telemetry)) {
 *   ScenarioResult happy = scenarios.run(Scenario.HAPPY);
 *   System.out.print(Waterfall.render(happy));
 * }
 * }</pre>
 *
 * <p>Runs one request at a time: the hop log of the shared in-JVM chain is read per request.
 */
public final class Scenarios implements AutoCloseable {
  /** The budget the client gives a request, except in {@link Scenario#TIGHT_BUDGET}. */
  static final Duration CLIENT_BUDGET = Duration.ofSeconds(2);
  /** The tight budget of {@link Scenario#TIGHT_BUDGET}. */
  static final Duration TIGHT_BUDGET = Duration.ofMillis(200);
  /** How long the client waits in the cancel scenarios before it gives up. */
  static final Duration PATIENCE = Duration.ofMillis(150);
  /** The cache's delay in {@link Scenario#SLOW_CACHE}: past its 800 ms cap. */
  static final int SLOW_CACHE_DELAY_MS = 1200;
  /** The cache's delay in the cancel scenarios: the request is still in flight when the client leaves. */
  static final int CANCEL_CACHE_DELAY_MS = 600;
  /**
   * A hop counts as having stopped "within milliseconds" when it saw the cancel within this bound: 100 ms,
   * the demo's claim. The system property {@code reqctx.samples.cancelBoundMs} widens it where real time
   * cannot be promised — the build's own test run on a shared, loaded machine — whose tests still require
   * every hop to see the cancel, end cancelled and the cache to skip work.
   */
  static final Duration CANCEL_BOUND = Duration.ofMillis(Long.getLong("reqctx.samples.cancelBoundMs", 100));
  private static final Duration SETTLE = Duration.ofSeconds(5);

  private final Telemetry telemetry;
  private final HopLog log;
  // Null when started for the polyglot scenarios only (startPolyglot).
  private final @Nullable EmbeddedChain withReqctx;
  private final @Nullable EmbeddedChain baseline;
  private final @Nullable GatewayClient reqctxClient;
  private final @Nullable GatewayClient baselineClient;
  private final AtomicInteger orders = new AtomicInteger(1000);
  private final PolyglotScenarios polyglot;
  private @Nullable Long reqctxWorkAfterLeaveMs;

  private Scenarios(Telemetry telemetry, HopLog log, @Nullable EmbeddedChain withReqctx,
      @Nullable EmbeddedChain baseline) {
    this.telemetry = telemetry;
    this.log = log;
    this.withReqctx = withReqctx;
    this.baseline = baseline;
    this.reqctxClient = withReqctx == null ? null : new GatewayClient(withReqctx.gatewayUri());
    this.baselineClient = baseline == null ? null : new GatewayClient(baseline.gatewayUri());
    this.polyglot = new PolyglotScenarios(this, telemetry, log);
  }

  /** Starts both chains on loopback and warms them up with one request each (not reported). */
  public static Scenarios start(Telemetry telemetry) throws Exception {
    requireNonNull(telemetry, "telemetry");
    HopLog log = new HopLog();
    EmbeddedChain withReqctx = EmbeddedChain.start(ChainMode.REQCTX, telemetry, log);
    EmbeddedChain baseline;
    try {
      baseline = EmbeddedChain.start(ChainMode.STATIC_TIMEOUTS, telemetry, log);
    } catch (Exception e) {
      withReqctx.close();
      throw e;
    }
    Scenarios scenarios = new Scenarios(telemetry, log, withReqctx, baseline);
    scenarios.warmUp();
    return scenarios;
  }

  /**
   * A runner for the {@linkplain Scenario#polyglot() polyglot scenarios} only: it starts no Java chain
   * of its own; each polyglot chain starts when its first scenario runs.
   */
  public static Scenarios startPolyglot(Telemetry telemetry) {
    return new Scenarios(requireNonNull(telemetry, "telemetry"), new HopLog(), null, null);
  }

  /** The reqctx chain's gateway, for clients of its HTTP API. */
  public java.net.URI gatewayUri() {
    if (withReqctx == null) {
      throw new IllegalStateException("started for the polyglot scenarios only: no Java chain");
    }
    return withReqctx.gatewayUri();
  }

  /** Runs {@code scenario} once and judges it. */
  public ScenarioResult run(Scenario scenario) throws Exception {
    if (!scenario.isPolyglot() && withReqctx == null) {
      throw new IllegalStateException(scenario + " needs the Java chains: start with Scenarios.start, not startPolyglot");
    }
    return switch (scenario) {
      case HAPPY -> happy(Scenario.HAPPY, reqctxClient);
      case SLOW_CACHE -> slowCache(Scenario.SLOW_CACHE, reqctxClient);
      case CLIENT_CANCEL -> clientCancel(Scenario.CLIENT_CANCEL, reqctxClient);
      case TIGHT_BUDGET -> tightBudget();
      case NO_REQCTX -> noReqctx();
      case POLYGLOT, POLYGLOT_SLOW_CACHE, POLYGLOT_CLIENT_CANCEL, POLYGLOT_TIGHT_BUDGET, POLYGLOT_JAVA_LEAF ->
          polyglot.run(scenario);
    };
  }

  private void warmUp() throws Exception {
    // The first request through a fresh JVM pays for class loading; no scenario should pay for it.
    for (int i = 0; i < 3; i++) {
      reqctxClient.get(nextOrder(), CLIENT_BUDGET, 0, 0);
      baselineClient.get(nextOrder(), CLIENT_BUDGET, 0, 0);
      log.awaitReports(8, SETTLE);
    }
  }

  ScenarioResult happy(Scenario scenario, GatewayClient client) throws Exception {
    GatewayClient.Answer answer = client.get(nextOrder(), CLIENT_BUDGET, 0, 0);
    List<HopReport> hops = log.awaitReports(4, SETTLE);
    List<Integer> received = hops.stream().map(h -> h.hop().getReceivedBudgetMs()).toList();
    boolean shrinking = hops.size() == 4;
    for (int i = 1; i < received.size(); i++) {
      shrinking &= received.get(i) < received.get(i - 1);
    }
    boolean withinCaps = hops.stream().allMatch(h -> h.hop().getReceivedBudgetMs() <= h.hop().getCapMs());
    boolean allOk = hops.stream().allMatch(h -> h.hop().getOutcome() == HopOutcome.HOP_OUTCOME_OK);
    boolean jsonAgrees = answer.order() != null && sameHops(answer.order(), hops);
    boolean passed = answer.status() == 200 && shrinking && withinCaps && allOk && jsonAgrees;
    List<String> facts = new ArrayList<>(List.of(
        "HTTP " + answer.status() + "; the JSON answer carries " + (answer.order() == null ? 0 : answer.order().hops().size())
            + " hops, the same as above: " + jsonAgrees,
        traceLine(hops)));
    return new ScenarioResult(scenario, hops, facts, passed,
        "each hop received less than the one before (" + received.stream().map(String::valueOf)
            .collect(Collectors.joining(" > ")) + " ms), none more than its cap, every hop OK");
  }

  ScenarioResult slowCache(Scenario scenario, GatewayClient client) throws Exception {
    GatewayClient.Answer answer = client.get(nextOrder(), CLIENT_BUDGET, SLOW_CACHE_DELAY_MS, 0);
    List<HopReport> hops = log.awaitReports(4, SETTLE);
    Hop gateway = hop(hops, Role.GATEWAY);
    Hop inventory = hop(hops, Role.INVENTORY);
    Hop cache = hop(hops, Role.CACHE);
    boolean degraded = answer.order() != null && answer.order().degraded();
    boolean fallback = inventory != null && inventory.getOutcome() == HopOutcome.HOP_OUTCOME_DEGRADED_FALLBACK;
    // Cut at the cache budget: the cache stopped when the budget it received ran out, well before its delay.
    // Its own deadline and its caller's (the same instant, one hop apart) race: either may stop it first.
    boolean cutAtBudget = cache != null
        && (cache.getOutcome() == HopOutcome.HOP_OUTCOME_DEADLINE_EXCEEDED
            || cache.getOutcome() == HopOutcome.HOP_OUTCOME_CANCELLED)
        && cache.getElapsedMs() <= cache.getReceivedBudgetMs() + 50 && cache.getElapsedMs() < SLOW_CACHE_DELAY_MS;
    boolean inTime = gateway != null && gateway.getElapsedMs() < gateway.getReceivedBudgetMs();
    boolean passed = answer.status() == 200 && degraded && fallback && cutAtBudget && inTime;
    List<String> facts = List.of(
        "HTTP " + answer.status() + ", degraded=" + degraded + "; the cache was asked to work " + SLOW_CACHE_DELAY_MS + " ms",
        traceLine(hops));
    return new ScenarioResult(scenario, hops, facts, passed, String.format(Locale.ROOT,
        "the cache was cut at its budget (%d ms of %d ms received), inventory answered from its fallback, "
            + "and the request succeeded degraded in %d ms of the gateway's %d ms",
        cache == null ? -1 : cache.getElapsedMs(), cache == null ? -1 : cache.getReceivedBudgetMs(),
        gateway == null ? -1 : gateway.getElapsedMs(), gateway == null ? -1 : gateway.getReceivedBudgetMs()));
  }

  ScenarioResult clientCancel(Scenario scenario, GatewayClient client) throws Exception {
    long gaveUp = client.getAndGiveUp(nextOrder(), CLIENT_BUDGET, CANCEL_CACHE_DELAY_MS, PATIENCE);
    List<HopReport> hops = log.awaitReports(4, SETTLE);
    List<String> facts = new ArrayList<>(cancelFacts(hops, gaveUp));
    boolean everyHopSawIt = hops.size() == 4 && hops.stream().allMatch(h -> h.cancelSeenNanos().isPresent()
        && h.cancelSeenNanos().getAsLong() - gaveUp < CANCEL_BOUND.toNanos()
        && h.hop().getOutcome() == HopOutcome.HOP_OUTCOME_CANCELLED);
    HopReport cache = report(hops, Role.CACHE);
    int skipped = cache == null ? 0 : cache.skippedSteps();
    long workAfterLeave = workAfterLeaveMs(hops, gaveUp);
    reqctxWorkAfterLeaveMs = workAfterLeave;
    facts.add(traceLine(hops));
    boolean passed = everyHopSawIt && skipped > 0;
    return new ScenarioResult(scenario, hops, facts, passed, String.format(Locale.ROOT,
        "every hop saw the cancel within %d ms of the client leaving and stopped; the last one stopped %d ms after; "
            + "the cache skipped %d steps of work", CANCEL_BOUND.toMillis(), workAfterLeave, skipped));
  }

  private ScenarioResult tightBudget() throws Exception {
    GatewayClient.Answer answer = reqctxClient.get(nextOrder(), TIGHT_BUDGET, 0, 0);
    // Two hops report; wait a little longer to be sure that no third one (the inventory) ever does.
    List<HopReport> hops = log.awaitReports(3, Duration.ofMillis(300));
    Hop order = hop(hops, Role.ORDER);
    String error = answer.order() == null ? answer.body() : String.valueOf(answer.order().error());
    boolean inventoryNeverCalled = hop(hops, Role.INVENTORY) == null && hop(hops, Role.CACHE) == null;
    boolean refused = order != null && order.getOutcome() == HopOutcome.HOP_OUTCOME_REJECTED_BUDGET
        && order.getSentBudgetMs() == 0;
    boolean reasonGiven = error.contains("InventoryService/CheckStock") && error.contains("not sent");
    boolean passed = answer.status() == 504 && inventoryNeverCalled && refused && reasonGiven;
    List<String> facts = List.of("HTTP " + answer.status() + ": " + error, traceLine(hops));
    return new ScenarioResult(Scenario.TIGHT_BUDGET, hops, facts, passed,
        "the order service refused to call inventory for lack of budget (inventory never called); "
            + "the client got 504 with the reason");
  }

  private ScenarioResult noReqctx() throws Exception {
    if (reqctxWorkAfterLeaveMs == null) {
      clientCancel(Scenario.CLIENT_CANCEL, reqctxClient); // the figure to compare with
    }
    long gaveUp = baselineClient.getAndGiveUp(nextOrder(), CLIENT_BUDGET, CANCEL_CACHE_DELAY_MS, PATIENCE);
    List<HopReport> hops = log.awaitReports(4, SETTLE);
    List<String> facts = new ArrayList<>(cancelFacts(hops, gaveUp));
    HopReport cache = report(hops, Role.CACHE);
    long cacheAfterLeave = cache == null ? 0 : TimeUnit.NANOSECONDS.toMillis(cache.endNanos() - gaveUp);
    long workAfterLeave = workAfterLeaveMs(hops, gaveUp);
    long withReqctx = reqctxWorkAfterLeaveMs == null ? -1 : reqctxWorkAfterLeaveMs;
    boolean cacheFinishedForNobody = cache != null && cache.skippedSteps() == 0 && cache.cancelSeenNanos().isEmpty();
    boolean passed = cacheFinishedForNobody && workAfterLeave > withReqctx && cacheAfterLeave >= PATIENCE.toMillis();
    return new ScenarioResult(Scenario.NO_REQCTX, hops, facts, passed, String.format(Locale.ROOT,
        "without reqctx the chain kept working %d ms after the client left (the cache all of its %d ms) "
            + "- with reqctx: %d ms", workAfterLeave, CANCEL_CACHE_DELAY_MS, withReqctx));
  }

  /** One line per hop: when it saw the cancel and when it stopped, relative to the client giving up. */
  private static List<String> cancelFacts(List<HopReport> hops, long gaveUp) {
    List<String> facts = new ArrayList<>();
    long start = hops.isEmpty() ? gaveUp : hops.get(0).startNanos();
    facts.add(String.format(Locale.ROOT, "the client gave up %.0f ms after sending", millis(gaveUp - start)));
    for (HopReport report : hops) {
      OptionalLong seen = report.cancelSeenNanos();
      facts.add(String.format(Locale.ROOT, "%-9s %s; stopped %s after the client left%s",
          report.role().cliName(),
          seen.isPresent() ? String.format(Locale.ROOT, "saw the cancel %+.1f ms", millis(seen.getAsLong() - gaveUp))
              : "never saw a cancel",
          String.format(Locale.ROOT, "%+.1f ms", millis(report.endNanos() - gaveUp)),
          report.skippedSteps() > 0 ? ", skipping " + report.skippedSteps() + " steps of work" : ""));
    }
    return facts;
  }

  private static long workAfterLeaveMs(List<HopReport> hops, long gaveUp) {
    long lastEnd = hops.stream().mapToLong(HopReport::endNanos).max().orElse(gaveUp);
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(lastEnd - gaveUp));
  }

  String traceLine(List<HopReport> hops) {
    String traceId = hops.isEmpty() ? "" : hops.get(0).hop().getTraceId();
    return telemetry.console().summary(traceId);
  }

  private static boolean sameHops(OrderView order, List<HopReport> hops) {
    List<OrderView.HopView> fromLog = hops.stream().map(h -> OrderView.HopView.of(h.hop())).toList();
    return order.hops().equals(fromLog);
  }

  static @Nullable HopReport report(List<HopReport> hops, Role role) {
    return hops.stream().filter(h -> h.role() == role).findFirst().orElse(null);
  }

  static @Nullable Hop hop(List<HopReport> hops, Role role) {
    HopReport report = report(hops, role);
    return report == null ? null : report.hop();
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  String nextOrder() {
    return Integer.toString(orders.incrementAndGet());
  }

  /** Stops both chains. */
  @Override
  public void close() throws Exception {
    try {
      polyglot.close();
    } finally {
      try {
        if (withReqctx != null) {
          withReqctx.close();
        }
      } finally {
        if (baseline != null) {
          baseline.close();
        }
      }
    }
  }
}
