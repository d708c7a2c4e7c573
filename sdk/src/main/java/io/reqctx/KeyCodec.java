package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.function.Function;

/**
 * Turns a typed value into text and back, so that a {@link CtxKey} can travel to the next hop. The
 * transport percent-encodes the text; the codec only maps values. {@link #decode} may throw on bad
 * input: reqctx catches it, drops the value and counts it, so nothing reaches the handler.
 *
 * <pre>{@code
 * KeyCodec<UUID> uuids = KeyCodec.of(UUID::toString, UUID::fromString);
 * CtxKey<UUID> TENANT = CtxKey.propagated("tenant", uuids).build();
 * }</pre>
 *
 * @param <T> the value type
 */
public interface KeyCodec<T> {

  /** The text form of {@code value}. */
  String encode(T value);

  /** The value of {@code text}; throws (any runtime exception) when the text is not a valid value. */
  T decode(String text);

  /** Strings as they are. */
  static KeyCodec<String> string() {
    return of(s -> s, s -> s);
  }

  /** Longs in decimal. */
  static KeyCodec<Long> int64() {
    return of(String::valueOf, Long::parseLong);
  }

  /** {@code true} / {@code false}, nothing else. */
  static KeyCodec<Boolean> bool() {
    return of(String::valueOf, s -> {
      if (s.equals("true")) {
        return Boolean.TRUE;
      }
      if (s.equals("false")) {
        return Boolean.FALSE;
      }
      throw new IllegalArgumentException("not a boolean");
    });
  }

  /** Enum constants by their lower-case name. */
  static <E extends Enum<E>> KeyCodec<E> enumOf(Class<E> type) {
    requireNonNull(type, "type");
    return of(e -> e.name().toLowerCase(Locale.ROOT), s -> Enum.valueOf(type, s.toUpperCase(Locale.ROOT)));
  }

  /** A codec from two functions. */
  static <T> KeyCodec<T> of(Function<? super T, String> encoder, Function<String, ? extends T> decoder) {
    requireNonNull(encoder, "encoder");
    requireNonNull(decoder, "decoder");
    return new KeyCodec<>() {
      @Override
      public String encode(T value) {
        return encoder.apply(value);
      }

      @Override
      public T decode(String text) {
        return decoder.apply(text);
      }
    };
  }
}
