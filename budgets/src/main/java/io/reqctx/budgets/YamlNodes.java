package io.reqctx.budgets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/** Typed reads of snakeyaml-engine nodes, each error with the node's file, line and column. */
final class YamlNodes {
  private final String file;

  YamlNodes(String file) {
    this.file = file;
  }

  Location at(Node node) {
    return node.getStartMark()
        .map(mark -> Location.of(file, mark.getLine() + 1, mark.getColumn() + 1))
        .orElse(Location.file(file));
  }

  FleetFormatException error(Node node, String problem) {
    return new FleetFormatException(at(node), problem);
  }

  /**
   * The entries of a mapping by key, in order, each key checked against {@code allowed}; duplicate keys
   * are an error (YAML allows them, a budget file must not).
   */
  Map<String, Entry> mapping(Node node, String what, Set<String> allowed) {
    Map<String, Entry> entries = entries(node, what);
    for (Entry entry : entries.values()) {
      if (!allowed.isEmpty() && !allowed.contains(entry.key())) {
        throw new FleetFormatException(entry.keyLocation(),
            "unknown key '" + entry.key() + "' in " + what + "; allowed: " + String.join(", ", allowed));
      }
    }
    return entries;
  }

  /** The entries of a mapping whose keys are names chosen by the user (services, methods, tiers). */
  Map<String, Entry> entries(Node node, String what) {
    if (!(node instanceof MappingNode mapping)) {
      throw error(node, what + " must be a mapping (key: value), got " + kind(node));
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      String key = scalar(tuple.getKeyNode(), "a key in " + what);
      Entry previous = entries.put(key, new Entry(key, at(tuple.getKeyNode()), tuple.getValueNode()));
      if (previous != null) {
        throw error(tuple.getKeyNode(), "duplicate key '" + key + "' in " + what + " (first at line "
            + previous.keyLocation().line() + ")");
      }
    }
    return entries;
  }

  List<Node> sequence(Node node, String what) {
    if (!(node instanceof SequenceNode sequence)) {
      throw error(node, what + " must be a list, got " + kind(node));
    }
    return new ArrayList<>(sequence.getValue());
  }

  String scalar(Node node, String what) {
    if (!(node instanceof ScalarNode scalar)) {
      throw error(node, what + " must be a single value, got " + kind(node));
    }
    return scalar.getValue();
  }

  String name(Node node, String what) {
    String value = scalar(node, what).trim();
    if (value.isEmpty()) {
      throw error(node, what + " must not be empty");
    }
    return value;
  }

  boolean bool(Node node, String what) {
    String value = scalar(node, what).trim();
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw error(node, what + " must be true or false, got '" + value + "'");
    };
  }

  int integer(Node node, String what, int min, int max) {
    String value = scalar(node, what).trim();
    int parsed;
    try {
      parsed = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw error(node, what + " must be a whole number, got '" + value + "'");
    }
    if (parsed < min || parsed > max) {
      throw error(node, what + " must be between " + min + " and " + max + ", got " + parsed);
    }
    return parsed;
  }

  double decimal(Node node, String what, double minExclusive, double maxInclusive) {
    String value = scalar(node, what).trim();
    double parsed;
    try {
      parsed = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw error(node, what + " must be a number, got '" + value + "'");
    }
    if (!(parsed > minExclusive && parsed <= maxInclusive)) {
      throw error(node, what + " must be greater than " + minExclusive + " and at most " + maxInclusive + ", got " + value);
    }
    return parsed;
  }

  /** A duration such as {@code 800ms}; {@code allowZero} admits {@code 0ms}. */
  Duration duration(Node node, String what, boolean allowZero) {
    String value = scalar(node, what).trim();
    Duration parsed = DurationText.parse(value);
    if (parsed == null) {
      String hint = value.matches("\\d+") ? ", e.g. " + value + "ms" : " (ns, us, ms, s, m or h), e.g. 800ms or 1.5s";
      throw error(node, what + " '" + value + "' needs a number and a unit" + hint);
    }
    if (parsed.isZero() && !allowZero) {
      throw error(node, what + " must be more than 0");
    }
    return parsed;
  }

  /** One of {@code options} (lower case), for enum-like values. */
  String choice(Node node, String what, List<String> options) {
    String value = scalar(node, what).trim().toLowerCase(Locale.ROOT);
    if (!options.contains(value)) {
      throw error(node, what + " must be one of " + String.join(", ", options) + ", got '" + value + "'");
    }
    return value;
  }

  private static String kind(@Nullable Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    return "a single value";
  }

  /** One key and its value node. */
  record Entry(String key, Location keyLocation, Node value) {}
}
