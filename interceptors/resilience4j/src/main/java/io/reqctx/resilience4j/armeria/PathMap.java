package io.reqctx.resilience4j.armeria;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Values by path pattern: exact paths ({@code "/stock"}) and prefixes ({@code "prefix:/items/"}); an
 * exact path wins, then the longest prefix. Immutable.
 */
final class PathMap<V> {
  private static final String PREFIX = "prefix:";

  private final Map<String, V> exact;
  private final List<Map.Entry<String, V>> prefixesLongestFirst;

  private PathMap(Map<String, V> exact, List<Map.Entry<String, V>> prefixesLongestFirst) {
    this.exact = exact;
    this.prefixesLongestFirst = prefixesLongestFirst;
  }

  /** {@code pattern} if it is an absolute path or {@code prefix:} and an absolute path. */
  static String validate(String pattern) {
    requireNonNull(pattern, "pathPattern");
    String path = pattern.startsWith(PREFIX) ? pattern.substring(PREFIX.length()) : pattern;
    if (!path.startsWith("/") || path.indexOf('?') >= 0) {
      throw new IllegalArgumentException("path pattern '" + pattern
          + "' must be an absolute path without query (\"/stock\") or \"prefix:\" and one (\"prefix:/items/\")");
    }
    return pattern;
  }

  static <V> PathMap<V> of(Map<String, V> byPattern) {
    Map<String, V> exact = new LinkedHashMap<>();
    Map<String, V> prefixes = new LinkedHashMap<>();
    byPattern.forEach((pattern, value) -> {
      if (pattern.startsWith(PREFIX)) {
        prefixes.put(pattern.substring(PREFIX.length()), value);
      } else {
        exact.put(pattern, value);
      }
    });
    List<Map.Entry<String, V>> sorted = prefixes.entrySet().stream()
        .sorted(Comparator.comparingInt((Map.Entry<String, V> e) -> e.getKey().length()).reversed())
        .map(e -> Map.entry(e.getKey(), e.getValue()))
        .toList();
    return new PathMap<>(Map.copyOf(exact), sorted);
  }

  <W> PathMap<W> map(Function<? super V, ? extends W> f) {
    Map<String, W> mappedExact = new LinkedHashMap<>();
    exact.forEach((path, value) -> mappedExact.put(path, f.apply(value)));
    List<Map.Entry<String, W>> mappedPrefixes = prefixesLongestFirst.stream()
        .map(e -> Map.<String, W>entry(e.getKey(), f.apply(e.getValue())))
        .toList();
    return new PathMap<>(Map.copyOf(mappedExact), mappedPrefixes);
  }

  /** The value for {@code path} (no query), or null. */
  @Nullable V find(String path) {
    V value = exact.get(path);
    if (value != null) {
      return value;
    }
    for (Map.Entry<String, V> prefix : prefixesLongestFirst) {
      if (path.startsWith(prefix.getKey())) {
        return prefix.getValue();
      }
    }
    return null;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder().append(exact.keySet());
    prefixesLongestFirst.forEach(e -> s.append(" prefix:").append(e.getKey()));
    return s.toString();
  }
}
