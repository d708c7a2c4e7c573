package io.reqctx.budgets;

import io.grpc.Status;
import io.reqctx.BudgetPolicy;
import io.reqctx.Tier;
import io.reqctx.transport.Trust;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Reads a budget file (the format of {@code docs/BUDGETS.md}) with snakeyaml-engine's composer, which
 * keeps the line and column of every node. Unknown keys, duplicate keys and values of the wrong kind are
 * errors; nothing is guessed.
 */
final class YamlFleetReader {
  private static final Set<String> TOP = Set.of("fleet", "tiers", "defaults", "protos", "services");
  private static final Set<String> TIER = Set.of("rank", "cap");
  private static final Set<String> DEFAULTS = Set.of(
      "reserve", "minimumViableBudget", "sameTierCalls", "maxRetryAmplification", "retryThrottling");
  private static final Set<String> SERVICE = Set.of(
      "tier", "trust", "reserve", "minimumViableBudget", "sameTierCalls", "retryThrottling", "methods");
  private static final Set<String> RESERVE = Set.of("floor", "fraction");
  private static final Set<String> THROTTLING = Set.of("maxTokens", "tokenRatio");
  private static final Set<String> METHOD = Set.of(
      "budget", "streaming", "longLived", "idempotent", "retry", "hedging", "calls");
  private static final Set<String> RETRY = Set.of("attempts", "perAttempt", "backoff", "retryOn");
  private static final Set<String> BACKOFF = Set.of("initial", "max", "multiplier");
  private static final Set<String> HEDGING = Set.of("attempts", "delay", "nonFatal");
  private static final Set<String> LONG_LIVED = Set.of("maxDuration");
  private static final Set<String> CALL = Set.of("call", "optional");
  private static final Set<String> PARALLEL = Set.of("parallel");
  private static final List<String> STATUS_CODES =
      Arrays.stream(Status.Code.values()).map(Enum::name).collect(Collectors.toList());
  /** Files larger than this are not budget files. */
  private static final int MAX_CODE_POINTS = 4 * 1024 * 1024;

  private final String file;
  private final YamlNodes yaml;

  private YamlFleetReader(String file) {
    this.file = file;
    this.yaml = new YamlNodes(file);
  }

  /** A parsed budget file: the fleet without its proto sources yet, and the descriptor sets it names. */
  record Parsed(FleetAssembly assembly, List<ProtoFile> protoFiles) {
    Fleet build(List<ProtoDeclaration> protos) {
      assembly.addProto(protos);
      return assembly.build();
    }
  }

  /** A {@code protos:} entry: a path as written, and where. */
  record ProtoFile(String path, Location location) {}

  /** The values of a budget policy before it is built, so a service can override some of the defaults. */
  private record PolicyValues(Duration floor, double fraction, Duration minimumViable, boolean sameTierAllowed) {
    static PolicyValues of(BudgetPolicy defaults) {
      return new PolicyValues(defaults.reserveFloor(), defaults.reserveFraction(), defaults.minimumViableBudget(), true);
    }

    BudgetPolicy build() {
      return BudgetPolicy.builder()
          .reserveFloor(floor)
          .reserveFraction(fraction)
          .minimumViableBudget(minimumViable)
          .sameTierCallsAllowed(sameTierAllowed)
          .build();
    }
  }

  static Parsed parse(String file, String text) {
    return new YamlFleetReader(file).parse(text);
  }

  private Parsed parse(String text) {
    LoadSettings settings = LoadSettings.builder()
        .setLabel(file)
        .setUseMarks(true)
        .setAllowDuplicateKeys(false)
        .setMaxAliasesForCollections(50)
        .setCodePointLimit(MAX_CODE_POINTS)
        .build();
    Optional<Node> root;
    try {
      root = new Compose(settings).composeString(text);
    } catch (MarkedYamlEngineException e) {
      Mark mark = e.getProblemMark().or(e::getContextMark).orElse(null);
      Location at = mark == null ? Location.file(file) : Location.of(file, mark.getLine() + 1, mark.getColumn() + 1);
      throw new FleetFormatException(at, "not valid YAML: " + oneLine(e.getProblem()), e);
    } catch (YamlEngineException e) {
      throw new FleetFormatException(Location.file(file), "not valid YAML: " + oneLine(e.getMessage()), e);
    }
    if (root.isEmpty()) {
      throw new FleetFormatException(Location.file(file), "the budget file is empty; it needs at least 'fleet:' and 'services:'");
    }
    Map<String, YamlNodes.Entry> top = yaml.mapping(root.get(), "the budget file", TOP);
    YamlNodes.Entry nameEntry = require(top, "fleet", root.get(), "the budget file");
    FleetAssembly assembly = new FleetAssembly(yaml.name(nameEntry.value(), "fleet"), Location.file(file));

    if (top.containsKey("tiers")) {
      readTiers(top.get("tiers").value());
    }
    PolicyValues defaults = PolicyValues.of(BudgetPolicy.defaults());
    if (top.containsKey("defaults")) {
      Node node = top.get("defaults").value();
      Map<String, YamlNodes.Entry> d = yaml.mapping(node, "defaults", DEFAULTS);
      defaults = policy(d, defaults, node);
      if (d.containsKey("maxRetryAmplification")) {
        assembly.maxRetryAmplification =
            yaml.integer(d.get("maxRetryAmplification").value(), "maxRetryAmplification", 1, 1_000_000);
      }
      if (d.containsKey("retryThrottling")) {
        assembly.defaultThrottling = throttling(d.get("retryThrottling").value());
      }
    }
    assembly.defaultPolicy = defaults.build();

    List<ProtoFile> protoFiles = new ArrayList<>();
    if (top.containsKey("protos")) {
      for (Node entry : yaml.sequence(top.get("protos").value(), "protos")) {
        protoFiles.add(new ProtoFile(yaml.name(entry, "a protos entry"), yaml.at(entry)));
      }
    }

    YamlNodes.Entry servicesEntry = require(top, "services", root.get(), "the budget file");
    for (YamlNodes.Entry service : yaml.entries(servicesEntry.value(), "services").values()) {
      FleetAssembly.ServiceDraft draft = service(service, defaults);
      assembly.services.put(draft.name, draft);
    }
    checkMethodsUnique(assembly);
    return new Parsed(assembly, protoFiles);
  }

  private void readTiers(Node node) {
    for (YamlNodes.Entry entry : yaml.entries(node, "tiers").values()) {
      Map<String, YamlNodes.Entry> t = yaml.mapping(entry.value(), "tier '" + entry.key() + "'", TIER);
      int rank = yaml.integer(require(t, "rank", entry.value(), "tier '" + entry.key() + "'").value(), "rank",
          Integer.MIN_VALUE, Integer.MAX_VALUE);
      Duration cap = yaml.duration(require(t, "cap", entry.value(), "tier '" + entry.key() + "'").value(), "cap", false);
      try {
        Tier.define(entry.key(), rank, cap);
      } catch (IllegalArgumentException e) {
        throw new FleetFormatException(entry.keyLocation(), e.getMessage(), e);
      }
    }
  }

  private PolicyValues policy(Map<String, YamlNodes.Entry> m, PolicyValues base, Node owner) {
    Duration floor = base.floor();
    double fraction = base.fraction();
    if (m.containsKey("reserve")) {
      Map<String, YamlNodes.Entry> r = yaml.mapping(m.get("reserve").value(), "reserve", RESERVE);
      if (r.containsKey("floor")) {
        floor = yaml.duration(r.get("floor").value(), "reserve floor", true);
      }
      if (r.containsKey("fraction")) {
        Node f = r.get("fraction").value();
        String value = yaml.scalar(f, "reserve fraction").trim();
        fraction = "0".equals(value) ? 0 : yaml.decimal(f, "reserve fraction", 0, 0.5);
      }
    }
    Duration minimumViable = base.minimumViable();
    if (m.containsKey("minimumViableBudget")) {
      minimumViable = yaml.duration(m.get("minimumViableBudget").value(), "minimumViableBudget", false);
    }
    boolean sameTier = base.sameTierAllowed();
    if (m.containsKey("sameTierCalls")) {
      sameTier = "allowed".equals(yaml.choice(m.get("sameTierCalls").value(), "sameTierCalls", List.of("allowed", "violation")));
    }
    PolicyValues values = new PolicyValues(floor, fraction, minimumViable, sameTier);
    try {
      values.build();
    } catch (IllegalArgumentException e) {
      throw yaml.error(owner, e.getMessage());
    }
    return values;
  }

  private RetryThrottling throttling(Node node) {
    Map<String, YamlNodes.Entry> t = yaml.mapping(node, "retryThrottling", THROTTLING);
    int maxTokens = yaml.integer(require(t, "maxTokens", node, "retryThrottling").value(), "maxTokens", 1, 1000);
    double ratio = yaml.decimal(require(t, "tokenRatio", node, "retryThrottling").value(), "tokenRatio", 0, 1000);
    return new RetryThrottling(maxTokens, ratio, yaml.at(node));
  }

  private FleetAssembly.ServiceDraft service(YamlNodes.Entry entry, PolicyValues defaults) {
    String what = "service '" + entry.key() + "'";
    Map<String, YamlNodes.Entry> s = yaml.mapping(entry.value(), what, SERVICE);
    Node tierNode = require(s, "tier", entry.value(), what).value();
    FleetAssembly.ServiceDraft draft = new FleetAssembly.ServiceDraft(entry.key(), tier(tierNode), entry.keyLocation());
    if (s.containsKey("trust")) {
      draft.trust = "edge".equals(yaml.choice(s.get("trust").value(), "trust", List.of("trusted", "edge")))
          ? Trust.EDGE : Trust.TRUSTED;
    }
    if (s.containsKey("reserve") || s.containsKey("minimumViableBudget") || s.containsKey("sameTierCalls")) {
      draft.policy = policy(s, defaults, entry.value()).build();
    }
    if (s.containsKey("retryThrottling")) {
      draft.throttling = throttling(s.get("retryThrottling").value());
    }
    if (s.containsKey("methods")) {
      for (YamlNodes.Entry method : yaml.entries(s.get("methods").value(), "methods of " + what).values()) {
        draft.methods.put(method.key(), method(method));
      }
    }
    return draft;
  }

  private Tier tier(Node node) {
    String name = yaml.name(node, "tier");
    return Tier.forName(name).orElseThrow(() -> yaml.error(node,
        "tier '" + name + "' is not defined; built in: gateway, service, cache; define others under 'tiers:'"
            + " (e.g. tiers: {" + name + ": {rank: 50, cap: 500ms}})"));
  }

  private FleetAssembly.MethodDraft method(YamlNodes.Entry entry) {
    String what = "method '" + entry.key() + "'";
    FleetAssembly.MethodDraft draft = new FleetAssembly.MethodDraft(entry.key(), entry.keyLocation());
    if (entry.value() instanceof ScalarNode scalar && scalar.getValue().isEmpty()) {
      return draft; // "Method:" with nothing below: declared, no budget
    }
    Map<String, YamlNodes.Entry> m = yaml.mapping(entry.value(), what, METHOD);
    for (YamlNodes.Entry field : m.values()) {
      draft.fields.put(field.key(), yaml.at(field.value()));
    }
    if (m.containsKey("budget")) {
      draft.budget = yaml.duration(m.get("budget").value(), "budget", false);
    }
    if (m.containsKey("streaming")) {
      draft.streaming = Streaming.forName(
          yaml.choice(m.get("streaming").value(), "streaming", List.of("none", "client", "server", "bidi")));
    }
    if (m.containsKey("longLived")) {
      draft.longLived = longLived(m.get("longLived").value());
    }
    if (m.containsKey("idempotent")) {
      draft.idempotent = yaml.bool(m.get("idempotent").value(), "idempotent");
    }
    if (m.containsKey("retry")) {
      draft.retry = retry(m.get("retry").value());
    }
    if (m.containsKey("hedging")) {
      if (draft.retry != null) {
        throw new FleetFormatException(m.get("hedging").keyLocation(),
            what + " has both retry and hedging; gRPC allows one of them per method: keep one");
      }
      draft.hedging = hedging(m.get("hedging").value());
    }
    if (m.containsKey("calls")) {
      draft.calls = calls(m.get("calls").value());
    }
    return draft;
  }

  private @Nullable LongLived longLived(Node node) {
    if (node instanceof MappingNode) {
      Map<String, YamlNodes.Entry> l = yaml.mapping(node, "longLived", LONG_LIVED);
      Duration max = l.containsKey("maxDuration") ? yaml.duration(l.get("maxDuration").value(), "maxDuration", false) : null;
      return new LongLived(max, yaml.at(node));
    }
    return yaml.bool(node, "longLived (true, false or {maxDuration: ...})") ? new LongLived(null, yaml.at(node)) : null;
  }

  private RetryPolicy retry(Node node) {
    Map<String, YamlNodes.Entry> r = yaml.mapping(node, "retry", RETRY);
    int attempts = yaml.integer(require(r, "attempts", node, "retry").value(), "retry attempts", 1, 100);
    Duration perAttempt = yaml.duration(require(r, "perAttempt", node, "retry").value(), "perAttempt", false);
    Node backoffNode = require(r, "backoff", node, "retry").value();
    Map<String, YamlNodes.Entry> b = yaml.mapping(backoffNode, "backoff", BACKOFF);
    Duration initial = yaml.duration(require(b, "initial", backoffNode, "backoff").value(), "backoff initial", false);
    Duration max = yaml.duration(require(b, "max", backoffNode, "backoff").value(), "backoff max", false);
    double multiplier = b.containsKey("multiplier")
        ? yaml.decimal(b.get("multiplier").value(), "backoff multiplier", 0, 100) : 2.0;
    if (max.compareTo(initial) < 0) {
      throw yaml.error(b.get("max").value(), "backoff max " + DurationText.format(max) + " is below initial "
          + DurationText.format(initial));
    }
    List<String> codes = r.containsKey("retryOn") ? codes(r.get("retryOn").value(), "retryOn") : List.of("UNAVAILABLE");
    if (codes.isEmpty()) {
      throw yaml.error(r.get("retryOn").value(), "retryOn needs at least one status code, e.g. [UNAVAILABLE]");
    }
    return new RetryPolicy(attempts, perAttempt, new Backoff(initial, max, multiplier), codes, yaml.at(node));
  }

  private HedgingPolicy hedging(Node node) {
    Map<String, YamlNodes.Entry> h = yaml.mapping(node, "hedging", HEDGING);
    int attempts = yaml.integer(require(h, "attempts", node, "hedging").value(), "hedging attempts", 2, 100);
    Duration delay = yaml.duration(require(h, "delay", node, "hedging").value(), "hedging delay", true);
    List<String> nonFatal = h.containsKey("nonFatal") ? codes(h.get("nonFatal").value(), "nonFatal") : List.of();
    return new HedgingPolicy(attempts, delay, nonFatal, yaml.at(node));
  }

  private List<String> codes(Node node, String what) {
    List<String> codes = new ArrayList<>();
    for (Node code : yaml.sequence(node, what)) {
      String name = yaml.name(code, "a status code in " + what);
      if (!STATUS_CODES.contains(name)) {
        throw yaml.error(code, "'" + name + "' is not a gRPC status code; use one of " + String.join(", ", STATUS_CODES));
      }
      codes.add(name);
    }
    return codes;
  }

  private List<CallStep> calls(Node node) {
    List<CallStep> steps = new ArrayList<>();
    for (Node step : yaml.sequence(node, "calls")) {
      if (step instanceof MappingNode && yaml.entries(step, "a call").containsKey("parallel")) {
        Map<String, YamlNodes.Entry> p = yaml.mapping(step, "a parallel group", PARALLEL);
        List<CallStep.Call> members = new ArrayList<>();
        for (Node member : yaml.sequence(p.get("parallel").value(), "parallel")) {
          members.add(call(member));
        }
        if (members.isEmpty()) {
          throw yaml.error(step, "a parallel group needs at least one call");
        }
        steps.add(new CallStep.Parallel(members, yaml.at(step)));
      } else {
        steps.add(call(step));
      }
    }
    return steps;
  }

  private CallStep.Call call(Node node) {
    if (node instanceof ScalarNode) {
      return new CallStep.Call(yaml.name(node, "a call"), false, yaml.at(node));
    }
    Map<String, YamlNodes.Entry> c = yaml.mapping(node, "a call", CALL);
    String method = yaml.name(require(c, "call", node, "a call").value(), "call");
    boolean optional = c.containsKey("optional") && yaml.bool(c.get("optional").value(), "optional");
    return new CallStep.Call(method, optional, yaml.at(node));
  }

  private YamlNodes.Entry require(Map<String, YamlNodes.Entry> m, String key, Node owner, String what) {
    YamlNodes.Entry entry = m.get(key);
    if (entry == null) {
      throw yaml.error(owner, what + " needs '" + key + "'");
    }
    return entry;
  }

  private void checkMethodsUnique(FleetAssembly assembly) {
    Map<String, FleetAssembly.MethodDraft> seen = new java.util.HashMap<>();
    for (FleetAssembly.ServiceDraft service : assembly.services.values()) {
      for (FleetAssembly.MethodDraft method : service.methods.values()) {
        FleetAssembly.MethodDraft first = seen.putIfAbsent(method.name, method);
        if (first != null) {
          throw new FleetFormatException(method.location, "method '" + method.name + "' is already declared at line "
              + first.location.line() + "; a method belongs to one service");
        }
      }
    }
  }

  private static String oneLine(@Nullable String message) {
    return message == null ? "" : message.replace('\n', ' ').trim();
  }
}
