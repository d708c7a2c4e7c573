package io.reqctx.internal.transport;

import io.opentelemetry.api.baggage.BaggageBuilder;
import io.opentelemetry.api.baggage.BaggageEntryMetadata;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.ImplicitContextKeyed;
import io.reqctx.internal.wire.Baggage;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The W3C baggage a hop received, kept in its {@link Context} twice: as the application reads and
 * changes it, OpenTelemetry's {@link io.opentelemetry.api.baggage.Baggage} ({@code
 * Baggage.current()}: one value per key, the first one received, with its properties as the entry
 * metadata), and as it arrived, for forwarding. A call made while the application's baggage is still
 * the one received forwards the list exactly as received (duplicates, properties and encoding
 * untouched); once the application changed it, the call sends the application's baggage, keeping the
 * received form of every entry it did not change.
 *
 * @param w3c the list as received, not empty
 * @param otel OpenTelemetry's view of it, as put in the context
 */
record HopBaggage(Baggage w3c, io.opentelemetry.api.baggage.Baggage otel) implements ImplicitContextKeyed {
  private static final ContextKey<HopBaggage> KEY = ContextKey.named("io.reqctx.hop-baggage");

  @Override
  public Context storeInContext(Context context) {
    return context.with(KEY, this);
  }

  /** {@code base} with {@code received} current, for the application and for the hop's calls. */
  static Context withReceived(Context base, Baggage received) {
    if (received.isEmpty()) {
      return base;
    }
    BaggageBuilder builder = io.opentelemetry.api.baggage.Baggage.builder();
    List<Baggage.Entry> entries = received.entries();
    for (int i = entries.size() - 1; i >= 0; i--) { // a later put replaces: the first entry of a key wins
      Baggage.Entry entry = entries.get(i);
      builder.put(entry.key(), entry.decodedValue(), BaggageEntryMetadata.create(entry.encodedProperties()));
    }
    io.opentelemetry.api.baggage.Baggage otel = builder.build();
    return base.with(otel).with(new HopBaggage(received, otel));
  }

  /** The {@code baggage} value a call made in {@code parent} sends, or null to send none. */
  static @Nullable String header(Context parent) {
    io.opentelemetry.api.baggage.Baggage current = io.opentelemetry.api.baggage.Baggage.fromContext(parent);
    HopBaggage received = parent.get(KEY);
    if (received != null && current.equals(received.otel)) {
      return received.w3c.encode();
    }
    if (current.isEmpty()) {
      return null;
    }
    List<Baggage.Entry> entries = new ArrayList<>(current.size());
    current.forEach((key, entry) -> {
      Baggage.Entry asReceived = received == null ? null : received.w3c.entry(key);
      String properties = entry.getMetadata().getValue();
      if (asReceived != null && asReceived.decodedValue().equals(entry.getValue())
          && asReceived.encodedProperties().equals(properties)) {
        entries.add(asReceived);
      } else if (Baggage.isValidKey(key)) {
        entries.add(Baggage.Entry.of(key, entry.getValue(), properties));
      }
    });
    Baggage sent = Baggage.fitting(entries);
    return sent.isEmpty() ? null : sent.encode();
  }
}
