package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A typed key for a value in a {@link RequestCtx}. Keys compare by identity: two keys with the same
 * name are different keys, so declare each once, as a constant. A key is local (never leaves the
 * process) unless built with {@link #propagated}, which gives it a codec, a size limit and an optional
 * {@code sensitive} flag (redacted in {@code toString} and logs, never sent to an untrusted peer).
 *
 * <pre>{@code
 * static final CtxKey<String> USER = CtxKey.local("user");
 * static final CtxKey<String> TENANT =
 *     CtxKey.propagated("tenant", KeyCodec.string()).maxEncodedLength(64).build();
 * static final CtxKey<String> AUTH_SUBJECT =
 *     CtxKey.propagated("auth-subject", KeyCodec.string()).sensitive().build();
 *
 * RequestCtx ctx = RequestCtx.current().with(TENANT, "acme");
 * String tenant = ctx.get(TENANT);
 * }</pre>
 *
 * @param <T> the value type
 */
public final class CtxKey<T> {
  private static final Logger log = LoggerFactory.getLogger(CtxKey.class);
  /** Default bound on a propagated value's encoded (percent-encoded) length. */
  public static final int DEFAULT_MAX_ENCODED_LENGTH = 256;

  private final String name;
  private final @Nullable KeyCodec<T> codec;
  private final int maxEncodedLength;
  private final boolean sensitive;
  private final LongAdder dropped = new LongAdder();
  private final AtomicBoolean dropLogged = new AtomicBoolean();

  private CtxKey(String name, @Nullable KeyCodec<T> codec, int maxEncodedLength, boolean sensitive) {
    this.name = name;
    this.codec = codec;
    this.maxEncodedLength = maxEncodedLength;
    this.sensitive = sensitive;
  }

  /** A key that never leaves the process. */
  public static <T> CtxKey<T> local(String name) {
    requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("key name must not be empty");
    }
    return new CtxKey<>(name, null, 0, false);
  }

  /**
   * Starts a key that travels to the next hop as the header {@code reqctx-key-<name>}; the name must
   * match {@code [a-z0-9][a-z0-9_.-]{0,47}} and must not end in {@code -bin}.
   */
  public static <T> Builder<T> propagated(String name, KeyCodec<T> codec) {
    return new Builder<>(requireNonNull(name, "name"), requireNonNull(codec, "codec"));
  }

  /** The key's name: for debugging, and on the wire for propagated keys. */
  public String name() {
    return name;
  }

  /** Whether values of this key travel to the next hop. */
  public boolean isPropagated() {
    return codec != null;
  }

  /** Whether values are redacted in logs and kept from untrusted peers. */
  public boolean isSensitive() {
    return sensitive;
  }

  /** The largest encoded value accepted or sent; 0 for local keys. */
  public int maxEncodedLength() {
    return maxEncodedLength;
  }

  /** How many inbound values of this key were dropped (undecodable or too large) since start. */
  public long droppedValues() {
    return dropped.sum();
  }

  /** The value as logs may show it: {@code "<redacted>"} for sensitive keys. */
  public String describe(@Nullable T value) {
    return sensitive && value != null ? "<redacted>" : String.valueOf(value);
  }

  /**
   * The codec's text for {@code value}, or null when the codec fails or the key is local. For
   * transports; applications use {@link RequestCtx#with}.
   */
  @Nullable String encodeText(T value) {
    if (codec == null) {
      return null;
    }
    try {
      return codec.encode(value);
    } catch (RuntimeException e) {
      log.warn("reqctx: value of key '{}' could not be encoded and is not sent: {}", name, e.toString());
      return null;
    }
  }

  /** The decoded value, or null (counted, logged once per key) when the codec rejects the text. */
  @Nullable T decodeText(String text) {
    if (codec == null) {
      return null;
    }
    try {
      T value = codec.decode(text);
      if (value == null) {
        drop("the codec returned null");
      }
      return value;
    } catch (RuntimeException e) {
      drop("the codec rejected it (" + e.getClass().getSimpleName() + ")");
      return null;
    }
  }

  /** Counts and reports an inbound value that was dropped; logs once per key, never the value. */
  void drop(String reason) {
    dropped.increment();
    ScopeObservers.droppedValue(this, reason);
    if (dropLogged.compareAndSet(false, true)) {
      log.warn(
          "reqctx: dropped an inbound value of key '{}': {} (logged once per key; see CtxKey.droppedValues())",
          name,
          reason);
    }
  }

  @Override
  public String toString() {
    return "CtxKey[" + name + (codec == null ? ", local" : ", propagated") + (sensitive ? ", sensitive" : "") + "]";
  }

  /** Configures a propagated {@link CtxKey}. */
  public static final class Builder<T> {
    private final String name;
    private final KeyCodec<T> codec;
    private int maxEncodedLength = DEFAULT_MAX_ENCODED_LENGTH;
    private boolean sensitive;

    private Builder(String name, KeyCodec<T> codec) {
      this.name = name;
      this.codec = codec;
    }

    /** Values longer than this once encoded are dropped inbound and not sent outbound (default 256). */
    public Builder<T> maxEncodedLength(int max) {
      if (max < 1 || max > 8192) {
        throw new IllegalArgumentException("maxEncodedLength must be between 1 and 8192, got " + max);
      }
      this.maxEncodedLength = max;
      return this;
    }

    /** Redacts values in logs and never sends them to a peer marked untrusted. */
    public Builder<T> sensitive() {
      this.sensitive = true;
      return this;
    }

    public CtxKey<T> build() {
      KeyNames.checkPropagatedName(name);
      return new CtxKey<>(name, codec, maxEncodedLength, sensitive);
    }
  }
}
