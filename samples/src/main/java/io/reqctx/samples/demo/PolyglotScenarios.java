package io.reqctx.samples.demo;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.reqctx.internal.wire.TraceParent;
import io.reqctx.samples.chain.ForeignTier;
import io.reqctx.samples.chain.ForeignTier.TraceHeaders;
import io.reqctx.samples.chain.HopLog;
import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.demo.PolyglotChain.Variant;
import io.reqctx.samples.proto.CheckStockRequest;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import io.reqctx.samples.proto.InventoryServiceGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The polyglot scenarios: the Java chain's verdicts on chains whose lower tiers run in Node and
 * Python ({@link PolyglotChain}), plus the trace verdict (one trace id; each non-Java hop continued the
 * trace and gave every outbound call a fresh parent-id, which the hop below received) and a tight
 * budget refused by the Node hop itself. Each chain starts the first time one of its scenarios runs.
 */
final class PolyglotScenarios implements AutoCloseable {
  /** What the caller of {@link Scenario#POLYGLOT_TIGHT_BUDGET} gives the Node inventory. */
  static final Duration TIGHT_INVENTORY_BUDGET = Duration.ofMillis(15);
  private static final Duration SETTLE = Duration.ofSeconds(5);

  private final Scenarios scenarios;
  private final Telemetry telemetry;
  private final HopLog log;
  private final Path dir = PolyglotChain.polyglotDir();
  private final Map<Variant, PolyglotChain> chains = new EnumMap<>(Variant.class);
  private final Map<Variant, GatewayClient> clients = new EnumMap<>(Variant.class);

  PolyglotScenarios(Scenarios scenarios, Telemetry telemetry, HopLog log) {
    this.scenarios = scenarios;
    this.telemetry = telemetry;
    this.log = log;
  }

  ScenarioResult run(Scenario scenario) throws Exception {
    Variant variant = scenario == Scenario.POLYGLOT_JAVA_LEAF ? Variant.PYTHON_JAVA : Variant.NODE_PYTHON;
    Optional<String> missing = PolyglotChain.missing(variant, dir);
    if (missing.isPresent()) {
      return new ScenarioResult(scenario, List.of(), List.of("not run: " + missing.get()), false,
          "the chain with " + variant.describe() + " cannot start here (see above)");
    }
    PolyglotChain chain = chain(variant);
    GatewayClient client = clients.get(variant);
    return switch (scenario) {
      case POLYGLOT, POLYGLOT_JAVA_LEAF -> withTraceVerdict(scenarios.happy(scenario, client), chain);
      case POLYGLOT_SLOW_CACHE -> scenarios.slowCache(scenario, client);
      case POLYGLOT_CLIENT_CANCEL -> scenarios.clientCancel(scenario, client);
      case POLYGLOT_TIGHT_BUDGET -> tightBudget(chain);
      default -> throw new IllegalArgumentException(scenario + " is not a polyglot scenario");
    };
  }

  private PolyglotChain chain(Variant variant) throws Exception {
    PolyglotChain chain = chains.get(variant);
    if (chain == null) {
      chain = PolyglotChain.start(variant, dir, telemetry, log);
      chains.put(variant, chain);
      GatewayClient client = new GatewayClient(chain.gatewayUri());
      clients.put(variant, client);
      for (int i = 0; i < 3; i++) { // warm up: class loading, connections, the JIT
        client.get(scenarios.nextOrder(), Scenarios.CLIENT_BUDGET, 0, 0);
        log.awaitReports(4, SETTLE);
      }
    }
    return chain;
  }

  /** The happy verdict, and: one trace id, and a fresh parent-id on every call a non-Java hop made. */
  private ScenarioResult withTraceVerdict(ScenarioResult happy, PolyglotChain chain) {
    List<HopReport> hops = happy.hops();
    String traceId = hops.isEmpty() ? "" : hops.get(0).hop().getTraceId();
    boolean oneTrace = !traceId.isEmpty() && hops.stream().allMatch(h -> h.hop().getTraceId().equals(traceId));
    String requestId = hops.isEmpty() ? "" : hops.get(0).requestId();
    List<TraceHeaders> seen = new ArrayList<>();
    for (ForeignTier tier : chain.foreignTiers()) {
      seen.addAll(tier.traceHeaders(requestId));
    }
    List<String> facts = new ArrayList<>(happy.facts());
    boolean fresh = !seen.isEmpty();
    for (TraceHeaders t : seen) {
      TraceParent in = TraceParent.parse(t.traceparentIn());
      boolean continued = in != null && in.traceId().equals(traceId);
      boolean ownParents = true;
      for (String sent : t.traceparentsOut()) {
        TraceParent out = TraceParent.parse(sent);
        ownParents &= out != null && out.traceId().equals(traceId) && in != null && !out.parentId().equals(in.parentId());
      }
      fresh &= continued && ownParents;
      facts.add(String.format("%-9s traceparent in %s, out %s", t.role().cliName(), t.traceparentIn(),
          t.traceparentsOut().isEmpty() ? "-" : String.join(" ", t.traceparentsOut())));
    }
    // A non-Java hop below a non-Java hop received exactly the traceparent its caller sent.
    boolean linked = true;
    for (int i = 1; i < seen.size(); i++) {
      linked &= seen.get(i - 1).traceparentsOut().contains(seen.get(i).traceparentIn());
    }
    boolean passed = happy.passed() && oneTrace && fresh && linked;
    return new ScenarioResult(happy.scenario(), hops, facts, passed, happy.verdict()
        + "; one trace id " + (oneTrace ? traceId : "(not so)") + " on every hop"
        + "; each non-java hop continued it with a fresh parent-id per call: " + (fresh && linked));
  }

  /** A caller with 15 ms left calls the Node inventory: it refuses the cache call before sending it. */
  private ScenarioResult tightBudget(PolyglotChain chain) throws Exception {
    ForeignTier inventory = chain.foreignTiers().get(0);
    ManagedChannel channel = NettyChannelBuilder.forTarget(inventory.target()).usePlaintext().build();
    String answer;
    try {
      channel.getState(true);
      InventoryServiceGrpc.InventoryServiceBlockingStub stub = InventoryServiceGrpc.newBlockingStub(channel);
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).checkStock(CheckStockRequest.getDefaultInstance()); // connect first
      log.awaitReports(2, SETTLE);
      try {
        answer = "degraded=" + stub.withDeadlineAfter(TIGHT_INVENTORY_BUDGET.toMillis(), TimeUnit.MILLISECONDS)
            .checkStock(CheckStockRequest.newBuilder().addSkus("sku-1042").build()).getDegraded();
      } catch (StatusRuntimeException e) {
        answer = e.getStatus().getCode().toString();
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    // One hop reports; wait a little longer to be sure that no second one (the cache) ever does.
    List<HopReport> hops = log.awaitReports(2, Duration.ofMillis(500));
    @Nullable Hop own = Scenarios.hop(hops, Role.INVENTORY);
    boolean cacheNeverCalled = Scenarios.hop(hops, Role.CACHE) == null;
    boolean refused = own != null && own.getOutcome() == HopOutcome.HOP_OUTCOME_REJECTED_BUDGET && own.getSentBudgetMs() == 0;
    List<String> facts = List.of("the caller got " + answer + "; the inventory said: " + (own == null ? "-" : own.getNote()));
    return new ScenarioResult(Scenario.POLYGLOT_TIGHT_BUDGET, hops, facts, refused && cacheNeverCalled,
        "the node inventory refused to call the cache with " + (own == null ? "?" : own.getReceivedBudgetMs())
            + " ms left (reserve + minimum viable budget from the budget file); the cache was never called");
  }

  @Override
  public void close() throws Exception {
    Exception failure = null;
    for (PolyglotChain chain : chains.values()) {
      try {
        chain.close();
      } catch (Exception e) {
        failure = e;
      }
    }
    chains.clear();
    if (failure != null) {
      throw failure;
    }
  }
}
