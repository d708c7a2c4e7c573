package io.reqctx.samples.soak;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.reqctx.CtxObserver;
import io.reqctx.LeakReport;
import io.reqctx.chaos.Chaos;
import io.reqctx.chaos.ChaosRule;
import io.reqctx.chaos.Fault;
import io.reqctx.samples.chain.ChainMode;
import io.reqctx.samples.chain.HopLog;
import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.OrderView;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.chain.TierServer;
import io.reqctx.samples.proto.OrderServiceGrpc;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a soak: starts the four tiers in this JVM (with their {@link SoakChaos} faults), warms them up,
 * takes the start values, drives {@link SoakPlan#requests()} requests through the gateway on one HTTP/2
 * connection while the drills stall the cache and kill and restart the inventory, waits until every
 * scope has closed, checks for retained values, takes the end values, and judges.
 *
 * <pre>{@code
 * SoakResult result = Soak.run(SoakPlan.defaults().withRequests(100_000), new PrintWriter(System.out, true));
 * System.exit(result.passed() ? 0 : 1);
 * }</pre>
 */
public final class Soak {
  /** A client waits this long past its budget (or the gateway's 5 s cap) before it calls an answer missing. */
  static final Duration ANSWER_SLACK = Duration.ofSeconds(10);
  /** A drill's tier counts as recovered once this many probes in a row were answered OK and fresh. */
  static final int HEALTHY_PROBES = 3;
  /** How long a drill waits for its tier to recover before it gives up. */
  static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);
  private static final Duration PROBE_INTERVAL = Duration.ofMillis(50);
  private static final Duration QUIESCE_BOUND = Duration.ofSeconds(30);
  /** How long the soak waits for the gateway to report a request its client gave up on. */
  private static final Duration GATEWAY_REPORT_BOUND = Duration.ofSeconds(5);

  private final SoakPlan plan;
  private final PrintWriter out;
  private final ScopeCounter scopes = new ScopeCounter();
  private final Map<String, CompletableFuture<String>> cancelledAtGateway = new ConcurrentHashMap<>();
  private final Map<Role, Chaos> chaos = new EnumMap<>(Role.class);
  private final Map<Role, TierServer> tiers = new EnumMap<>(Role.class);
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "soak-timer");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean tierDown = new AtomicBoolean();
  private final AtomicLong downUntilNanos = new AtomicLong();
  private final List<SoakResult.Drill> drills = new ArrayList<>();
  private final List<DrillWindow> drillWindows = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Telemetry telemetry;
  private HopLog log;
  private WebClient client;

  private Soak(SoakPlan plan, PrintWriter out) {
    this.plan = plan;
    this.out = out;
  }

  /** Runs {@code plan}, printing progress to {@code out}; returns the figures and the verdict. */
  public static SoakResult run(SoakPlan plan, PrintWriter out) throws Exception {
    return new Soak(requireNonNull(plan, "plan"), requireNonNull(out, "out")).run();
  }

  private SoakResult run() throws Exception {
    long started = System.nanoTime();
    try (CtxObserver.Registration registration = CtxObserver.register(scopes);
        Telemetry t = Telemetry.create(Telemetry.Exporters.none(), null);
        ClientFactory factory = ClientFactory.builder().build()) {
      telemetry = t;
      log = new HopLog(this::hopEnded);
      startChain();
      client = WebClient.builder("h2c://" + tiers.get(Role.GATEWAY).target()).factory(factory).build();
      println("soak: gateway -> order -> inventory -> cache on " + tiers.get(Role.GATEWAY).target()
          + ", " + plan.requests() + " requests, " + plan.concurrency() + " at a time on one HTTP/2 connection, seed " + plan.seed()
          + ", chaos " + (plan.chaos() ? "on" : "off") + ", drills " + (plan.drills() ? "on" : "off"));

      Answers warm = new Answers();
      drive("warm", plan.warmup(), warm, false);
      awaitQuiet();
      Resources start = Resources.afterFullGc();
      phase("warm-up", started);
      println(String.format(Locale.ROOT, "start (after %d warm-up requests and a full GC): heap %.1f MiB, %d threads, %d open fds, load %.1f",
          plan.warmup(), start.heapMiB(), start.threads(), start.fds(), start.loadAverage()));
      long leaksAtStart = totalLeaks();

      Answers answers = new Answers();
      long runStart = System.nanoTime();
      double loadSum = 0;
      LoadSampler load = new LoadSampler();
      timers.scheduleAtFixedRate(load, 0, 5, TimeUnit.SECONDS);
      drive("soak-" + plan.seed(), plan.requests(), answers, plan.drills());
      Duration runTime = Duration.ofNanos(System.nanoTime() - runStart);
      phase("run and drills", runStart);
      long endStart = System.nanoTime();
      for (CompletableFuture<String> pending : cancelledAtGateway.values()) {
        pending.complete(null); // the gateway never saw these: cancelled before their stream reached it
      }

      boolean quiet = awaitQuiet();
      long open = scopes.open();
      if (open != 0) {
        println("scopes still open at the end, e.g. " + scopes.openScopes(5));
        scopes.describeOpen(5).forEach(line -> println("  " + line));
        printThreadsAtWork();
      }
      int valueLeaks = 0;
      Resources.afterFullGc();
      for (Chaos c : chaos.values()) {
        valueLeaks += c.checkValueLeaks(Duration.ZERO);
      }
      Resources end = awaitResources(start);
      phase("quiescence, value-leak check and end values", endStart);
      SoakResult result = new SoakResult(plan, answers, runTime, start, end, load.average(), load.max(), open, quiet,
          leaksOf(LeakReport.Kind.CTX_NEVER_CLOSED) + leaksOf(LeakReport.Kind.CHILD_OPEN_AT_PARENT_CLOSE),
          leaksOf(LeakReport.Kind.TASK_RUNNING_AFTER_CTX_END),
          leaksOf(LeakReport.Kind.ATTACH_NEVER_CLOSED) + leaksOf(LeakReport.Kind.ATTACH_CLOSED_OUT_OF_ORDER)
              + leaksOf(LeakReport.Kind.ATTACH_CLOSED_ON_OTHER_THREAD),
          valueLeaks, leaksOf(LeakReport.Kind.VALUE_RETAINED_AFTER_CTX_END), totalLeaks() - leaksAtStart, scopes.firstLeak(),
          chaosStats(), List.copyOf(drills), Duration.ofNanos(System.nanoTime() - started));
      return result;
    } finally {
      timers.shutdownNow();
      stopChain();
    }
  }

  private long leaksOf(LeakReport.Kind kind) {
    return scopes.leaks(kind);
  }

  private long totalLeaks() {
    long total = 0;
    for (LeakReport.Kind kind : LeakReport.Kind.values()) {
      total += scopes.leaks(kind);
    }
    return total;
  }

  private Map<String, Chaos.Stats> chaosStats() {
    Map<String, Chaos.Stats> stats = new java.util.LinkedHashMap<>();
    chaos.forEach((role, c) -> stats.put(role.cliName(), c.stats()));
    return stats;
  }

  // ---- the chain ----

  private void startChain() {
    String downstream = null;
    for (Role role : List.of(Role.CACHE, Role.INVENTORY, Role.ORDER, Role.GATEWAY)) {
      chaos.put(role, SoakChaos.forRole(role, plan.seed(), plan.chaos(), telemetry.forRole(role)));
      TierServer server = startTier(role, 0, downstream);
      tiers.put(role, server);
      downstream = server.target();
    }
  }

  private TierServer startTier(Role role, int port, String downstream) {
    TierServer.Options options = TierServer.Options.defaults().withChaos(chaos.get(role)).withReconnectCap(plan.reconnectCap());
    return TierServer.start(role, port, downstream, ChainMode.REQCTX, telemetry.forRole(role), log, options);
  }

  private void stopChain() {
    for (Role role : List.of(Role.GATEWAY, Role.ORDER, Role.INVENTORY, Role.CACHE)) {
      TierServer server = tiers.remove(role);
      if (server != null) {
        try {
          server.close();
        } catch (Exception e) {
          println("soak: stopping the " + role.cliName() + " tier failed: " + e);
        }
      }
    }
    chaos.values().forEach(Chaos::close);
  }

  private void hopEnded(HopReport report) {
    if (report.role() == Role.GATEWAY) {
      CompletableFuture<String> waiting = cancelledAtGateway.get(report.requestId());
      if (waiting != null) {
        waiting.complete(OrderView.HopView.outcomeName(report.hop()));
      }
    }
  }

  // ---- the load ----

  /** Sends {@code n} requests, {@link SoakPlan#concurrency()} at a time, and waits for their answers. */
  private void drive(String prefix, int n, Answers answers, boolean withDrills) throws Exception {
    Semaphore inFlight = new Semaphore(plan.concurrency());
    List<CompletableFuture<Void>> cancelled = new ArrayList<>();
    CompletableFuture<Void> drillsDone = CompletableFuture.completedFuture(null);
    AtomicInteger sent = new AtomicInteger();
    long startNanos = System.nanoTime();
    int nextReport = n / 10;
    for (int i = 0; i < n; i++) {
      if (withDrills && i == n * 3 / 10) {
        drillsDone = runDrills(sent, n);
      }
      inFlight.acquire();
      sent.set(i + 1);
      CompletableFuture<Void> gatewayOutcome = send(prefix + "-" + i, new Random(plan.seed() * 1_000_003L + i), answers,
          inFlight::release);
      if (!gatewayOutcome.isDone()) {
        cancelled.add(gatewayOutcome);
      }
      if (prefix.startsWith("soak") && i + 1 == nextReport) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        println(String.format(Locale.ROOT, "  %3d%% %d/%d sent, %.0f req/s, load %.1f", (i + 1) * 100 / n, i + 1, n,
            (i + 1) / seconds, Resources.currentLoad()));
        nextReport += n / 10;
      }
    }
    inFlight.acquire(plan.concurrency());
    inFlight.release(plan.concurrency());
    CompletableFuture.allOf(cancelled.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
    drillsDone.get(5, TimeUnit.MINUTES);
  }

  /**
   * One request with its share of the mix. {@code exchangeEnded} runs when its HTTP exchange is over;
   * the returned future completes once it has been judged (for a request the client gave up on, once
   * the gateway's hop reported how it ended there, or a few seconds later).
   */
  private CompletableFuture<Void> send(String id, Random random, Answers answers, Runnable exchangeEnded) {
    Mix mix = Mix.draw(random, plan.clientCancelFraction());
    RequestHeadersBuilder headers = RequestHeaders.builder(HttpMethod.GET,
        "/orders/" + id + "?cacheDelayMs=" + mix.cacheDelayMs() + "&inventoryDelayMs=" + mix.inventoryDelayMs())
        .set("x-request-id", id);
    if (mix.budgetMs() > 0) {
      headers.set("reqctx-budget-ms", Long.toString(mix.budgetMs()));
    }
    long waitMs = (mix.budgetMs() > 0 ? Math.min(mix.budgetMs(), 5_000) : 5_000) + ANSWER_SLACK.toMillis();
    AtomicBoolean gaveUp = new AtomicBoolean();
    CompletableFuture<String> atGateway = null;
    if (mix.cancelAfterMs() >= 0) {
      atGateway = new CompletableFuture<>();
      cancelledAtGateway.put(id, atGateway);
    }
    HttpResponse response = client.execute(headers.build());
    if (atGateway != null) {
      timers.schedule(() -> {
        gaveUp.set(true);
        response.abort();
      }, mix.cancelAfterMs(), TimeUnit.MILLISECONDS);
    }
    CompletableFuture<String> gateway = atGateway;
    return response.aggregate().orTimeout(waitMs, TimeUnit.MILLISECONDS).handle((answer, failure) -> {
      exchangeEnded.run();
      if (answer != null) {
        cancelledAtGateway.remove(id); // answered before the client gave up
        MediaType type = answer.contentType();
        Answers.Category category = answers.answered(id, answer.status().code(), type == null ? "" : type.toString(),
            answer.contentUtf8(), tierDown.get() || System.nanoTime() < downUntilNanos.get(), orderBudgetShortened(id));
        drillWindows.forEach(w -> w.count(category));
        return null;
      }
      if (gaveUp.get() && gateway != null) {
        return gateway;
      }
      answers.failed(id, failure, failure instanceof TimeoutException);
      return null;
    }).thenCompose(waiting -> waiting == null
        ? CompletableFuture.<Void>completedFuture(null)
        : waiting.completeOnTimeout(null, GATEWAY_REPORT_BOUND.toMillis(), TimeUnit.MILLISECONDS).thenAccept(outcome -> {
          cancelledAtGateway.remove(id);
          answers.clientCancelled(id, outcome);
        }));
  }

  /** Whether the order tier's chaos rules shorten the budget of request {@code id} (seeded, so known in advance). */
  private boolean orderBudgetShortened(String id) {
    return chaos.get(Role.ORDER).rulesFor(ChaosRule.Side.SERVER, OrderServiceGrpc.getGetOrderMethod().getFullMethodName(), id)
        .stream().anyMatch(rule -> rule.fault() instanceof Fault.DeadlineSkew skew && skew.apply(1_000_000_000L) < 1_000_000_000L);
  }

  // ---- drills ----

  /** Stalls the cache now, then kills the inventory once {@code sent} reaches 60 % of {@code n}, one after the other. */
  private CompletableFuture<Void> runDrills(AtomicInteger sent, int n) {
    return CompletableFuture.runAsync(() -> {
      stallDrill();
      while (sent.get() < n * 6 / 10) {
        sleep(Duration.ofMillis(20));
      }
      killDrill();
    }, r -> {
      Thread thread = new Thread(r, "soak-drills");
      thread.setDaemon(true);
      thread.start();
    });
  }

  /** The cache stops answering for {@link SoakPlan#stall()}; how long until answers are fresh again? */
  private void stallDrill() {
    DrillWindow window = new DrillWindow();
    drillWindows.add(window);
    Chaos cache = chaos.get(Role.CACHE);
    List<io.reqctx.chaos.ChaosRule> normal = cache.rules();
    cache.setRules(SoakChaos.stalled(plan.stall()));
    sleep(plan.stall());
    cache.setRules(normal);
    long endedNanos = System.nanoTime();
    Duration recovery = recoveredAfter(endedNanos);
    drillWindows.remove(window);
    drills.add(new SoakResult.Drill("cache stalled for " + plan.stall().toMillis() + " ms",
        "after the stall ended", recovery, window.summary()));
  }

  /** The inventory is killed, stays down {@link SoakPlan#down()}, and restarts on its port. */
  private void killDrill() {
    DrillWindow window = new DrillWindow();
    drillWindows.add(window);
    TierServer inventory = tiers.get(Role.INVENTORY);
    int port = inventory.port();
    tierDown.set(true);
    try {
      inventory.close();
    } catch (Exception e) {
      throw new IllegalStateException("killing the inventory failed", e);
    }
    sleep(plan.down());
    TierServer restarted = null;
    for (int attempt = 0; restarted == null; attempt++) {
      try {
        restarted = startTier(Role.INVENTORY, port, tiers.get(Role.CACHE).target());
      } catch (UncheckedIOException portStillHeld) {
        if (attempt == 50) {
          throw portStillHeld;
        }
        sleep(Duration.ofMillis(100));
      }
    }
    tiers.put(Role.INVENTORY, restarted);
    long restartedNanos = System.nanoTime();
    Duration recovery = recoveredAfter(restartedNanos);
    // Answers still on their way back from the outage are explained by it, for one more second.
    downUntilNanos.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
    tierDown.set(false);
    drillWindows.remove(window);
    drills.add(new SoakResult.Drill("inventory killed for " + plan.down().toMillis() + " ms, then restarted",
        "after the restart", recovery, window.summary()));
  }

  /** Probes until {@link #HEALTHY_PROBES} in a row answer OK and fresh; the time from {@code since}, or null. */
  private Duration recoveredAfter(long sinceNanos) {
    int healthy = 0;
    long firstHealthy = 0;
    int n = 0;
    while (System.nanoTime() - sinceNanos < RECOVERY_BOUND.toNanos()) {
      long sent = System.nanoTime();
      boolean ok = probe("probe-" + plan.seed() + "-" + n++);
      if (ok) {
        if (healthy++ == 0) {
          firstHealthy = sent;
        }
        if (healthy == HEALTHY_PROBES) {
          return Duration.ofNanos(Math.max(0, firstHealthy - sinceNanos));
        }
      } else {
        healthy = 0;
      }
      sleep(PROBE_INTERVAL);
    }
    return null;
  }

  private boolean probe(String id) {
    try {
      AggregatedHttpResponse answer = client.execute(RequestHeaders.builder(HttpMethod.GET, "/orders/" + id)
          .set("x-request-id", id).set("reqctx-budget-ms", "2000").build()).aggregate().get(15, TimeUnit.SECONDS);
      return answer.status().code() == 200 && answer.contentUtf8().contains("\"degraded\":false");
    } catch (Exception e) {
      return false;
    }
  }

  // ---- quiescence ----

  /** Waits until no scope is open (every hop finished); false when some still are after the bound. */
  private boolean awaitQuiet() {
    long until = System.nanoTime() + QUIESCE_BOUND.toNanos();
    while (scopes.open() > 0 && System.nanoTime() < until) {
      sleep(Duration.ofMillis(50));
    }
    return scopes.open() == 0;
  }

  /** The end values, once they are within the tolerances or the bound (idle pool threads time out) passed. */
  private Resources awaitResources(Resources start) {
    long until = System.nanoTime() + QUIESCE_BOUND.toNanos();
    Resources end = Resources.afterFullGc();
    while (!SoakResult.withinTolerance(plan, start, end) && System.nanoTime() < until) {
      sleep(Duration.ofSeconds(1));
      end = Resources.afterFullGc();
    }
    return end;
  }

  private void phase(String what, long sinceNanos) {
    println(String.format(Locale.ROOT, "  (%s took %.1f s)", what, (System.nanoTime() - sinceNanos) / 1e9));
  }

  /**
   * The stacks of the threads running application or transport code (not parked in a pool waiting for
   * work): where the work of a scope still open is, when a soak ends with one.
   */
  private void printThreadsAtWork() {
    Thread.getAllStackTraces().forEach((thread, stack) -> {
      if (stack.length == 0 || thread == Thread.currentThread()) {
        return;
      }
      boolean idle = stack[0].getClassName().startsWith("jdk.internal.misc.Unsafe")
          && Arrays.stream(stack).limit(8).anyMatch(frame -> frame.getMethodName().equals("getTask")
              || frame.getMethodName().equals("take") || frame.getClassName().contains("EventLoop")
              || frame.getClassName().contains("AlarmTimer"));
      boolean inReqctxOrApp = Arrays.stream(stack).anyMatch(frame -> frame.getClassName().startsWith("io.reqctx."));
      if (!idle && inReqctxOrApp) {
        println("  thread " + thread.getName() + " (" + thread.getState() + "):");
        Arrays.stream(stack).limit(25).forEach(frame -> println("      at " + frame));
      }
    });
  }

  private void println(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The answers that came while a drill ran and until its tier recovered. */
  private static final class DrillWindow {
    private final Map<Answers.Category, java.util.concurrent.atomic.LongAdder> counts = new ConcurrentHashMap<>();

    void count(Answers.Category category) {
      counts.computeIfAbsent(category, c -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    String summary() {
      StringBuilder s = new StringBuilder();
      for (Answers.Category category : Answers.Category.values()) {
        var count = counts.get(category);
        if (count != null) {
          s.append(s.length() == 0 ? "" : ", ").append(category.label).append(' ').append(count.sum());
        }
      }
      return s.length() == 0 ? "no answers" : s.toString();
    }
  }

  /** Samples the load average every few seconds of the run. */
  private static final class LoadSampler implements Runnable {
    private double sum;
    private double max;
    private int samples;

    @Override
    public synchronized void run() {
      double load = Resources.currentLoad();
      if (load >= 0) {
        sum += load;
        max = Math.max(max, load);
        samples++;
      }
    }

    synchronized double average() {
      return samples == 0 ? -1 : sum / samples;
    }

    synchronized double max() {
      return samples == 0 ? -1 : max;
    }
  }
}
