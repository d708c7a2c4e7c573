package io.reqctx.grpc;

import io.grpc.Metadata;
import io.reqctx.internal.transport.HeaderReader;
import io.reqctx.internal.transport.HeaderWriter;
import io.reqctx.internal.wire.WireHeaders;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * Adapts grpc {@link Metadata} to the transport kernel's header interfaces (ASCII values only): every
 * value of a repeated key, in arrival order, never joined.
 */
final class MetadataHeaders {
  // Names come from the configuration and the wire format, so the cache stays small.
  private static final ConcurrentMap<String, Metadata.Key<String>> KEYS = new ConcurrentHashMap<>();

  private MetadataHeaders() {}

  static Metadata.Key<String> key(String name) {
    // get first: computeIfAbsent locks the key's bin unless the key heads it, on every call
    Metadata.Key<String> key = KEYS.get(name);
    return key != null ? key : KEYS.computeIfAbsent(name, n -> Metadata.Key.of(n, Metadata.ASCII_STRING_MARSHALLER));
  }

  static HeaderReader reader(Metadata metadata) {
    // Read once per header and call: an absent header costs no allocation, a single value one list.
    return new HeaderReader() {
      @Override
      public List<String> all(String name) {
        Iterator<String> values = values(metadata, name);
        if (values == null) {
          return List.of();
        }
        String first = values.next();
        if (!values.hasNext()) {
          return List.of(first);
        }
        List<String> list = new ArrayList<>(2);
        list.add(first);
        values.forEachRemaining(list::add);
        return list;
      }

      @Override
      public @Nullable String single(String name) {
        Iterator<String> values = values(metadata, name);
        if (values == null) {
          return null;
        }
        String first = values.next();
        return values.hasNext() ? null : first;
      }
    };
  }

  /** The values of {@code name} in arrival order, at least one; null when it is absent (no allocation then). */
  private static @Nullable Iterator<String> values(Metadata metadata, String name) {
    Metadata.Key<String> key = key(name);
    return metadata.containsKey(key) ? metadata.getAll(key).iterator() : null;
  }

  static HeaderWriter writer(Metadata metadata) {
    return new HeaderWriter() {
      @Override
      public void put(String name, String value) {
        Metadata.Key<String> key = key(name);
        metadata.discardAll(key);
        metadata.put(key, value);
      }

      @Override
      public void remove(String name) {
        metadata.discardAll(key(name));
      }
    };
  }

  /** Removes every {@code reqctx-*} key from {@code metadata}: that namespace is reqctx's on every call. */
  static void removeReqctxHeaders(Metadata metadata) {
    List<String> internal = new ArrayList<>(0);
    for (String name : metadata.keys()) {
      if (WireHeaders.isReqctxHeader(name)) {
        internal.add(name);
      }
    }
    for (String name : internal) {
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        metadata.discardAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER));
      } else {
        metadata.discardAll(key(name));
      }
    }
  }
}
