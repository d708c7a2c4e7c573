package io.reqctx.grpc;

import io.grpc.Metadata;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.transport.HeaderWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Adapts grpc {@link Metadata} to the transport kernel's header interfaces (ASCII values only). */
final class MetadataHeaders {
  // Names come from the configuration and the propagators, so the cache stays small.
  private static final ConcurrentMap<String, Metadata.Key<String>> KEYS = new ConcurrentHashMap<>();

  private MetadataHeaders() {}

  static Metadata.Key<String> key(String name) {
    return KEYS.computeIfAbsent(name, n -> Metadata.Key.of(n, Metadata.ASCII_STRING_MARSHALLER));
  }

  static HeaderReader reader(Metadata metadata) {
    return new HeaderReader() {
      @Override
      public List<String> all(String name) {
        Iterable<String> values = metadata.getAll(key(name));
        if (values == null) {
          return List.of();
        }
        List<String> list = new ArrayList<>(1);
        values.forEach(list::add);
        return list;
      }

      @Override
      public Iterable<String> names() {
        return metadata.keys();
      }
    };
  }

  static HeaderWriter writer(Metadata metadata) {
    return (name, value) -> {
      Metadata.Key<String> key = key(name);
      metadata.discardAll(key);
      metadata.put(key, value);
    };
  }
}
