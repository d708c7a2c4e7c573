package io.reqctx;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import io.reqctx.internal.wire.KeyHeader;
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

  private static final AtomicInteger NEXT_INDEX = new AtomicInteger();

  private final int index = NEXT_INDEX.getAndIncrement();
  private final String name;
  private final @Nullable KeyCodec<T> codec;
  private final int maxEncodedLength;
  private final boolean sensitive;
  private final LongAdder dropped = new LongAdder();
  private final AtomicBoolean dropLogged = new AtomicBoolean();
  private final AtomicBoolean sendWarned = new AtomicBoolean();
  private final String headerName;

  private CtxKey(String name, @Nullable KeyCodec<T> codec, int maxEncodedLength, boolean sensitive) {
    this.name = name;
    this.codec = codec;
    this.maxEncodedLength = maxEncodedLength;
    this.sensitive = sensitive;
    this.headerName = codec == null ? "" : KeyHeader.headerName(name);
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

  /** The order of creation: the first 64 keys get a bit each in every ctx's value set. */
  int index() {
    return index;
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
   * The header that carries this key ({@code reqctx-key-<name>}).
   *
   * @throws IllegalStateException for a local key
   */
  public String headerName() {
    if (codec == null) {
      throw new IllegalStateException(this + " is local: it has no header");
    }
    return headerName;
  }

  /**
   * The header value for {@code value}, or null when the key is local, the codec fails, or the encoded
   * value is longer than {@link #maxEncodedLength()} (then nothing is sent, and a warning is logged once).
   * For transports; applications use {@link RequestCtx#with}.
   */
  public @Nullable String encodeForWire(T value) {
    if (codec == null) {
      return null;
    }
    String encoded;
    try {
      encoded = KeyHeader.encodeValue(codec.encode(value));
    } catch (RuntimeException e) {
      warnOnce("its codec failed to encode it (" + e.getClass().getSimpleName() + ")");
      return null;
    }
    if (encoded.length() > maxEncodedLength) {
      warnOnce("its encoded length " + encoded.length() + " exceeds maxEncodedLength " + maxEncodedLength);
      return null;
    }
    return encoded;
  }

  /**
   * The value carried by header value {@code wireValue}, or null when it is too long, not valid
   * percent-encoded UTF-8, or rejected by the codec. A null result is counted ({@link #droppedValues()})
   * and logged once per key with the key's name, never the value. Never throws.
   */
  public @Nullable T decodeFromWire(CharSequence wireValue) {
    if (codec == null) {
      return null;
    }
    if (wireValue.length() > maxEncodedLength) {
      drop("the value is longer than maxEncodedLength " + maxEncodedLength);
      return null;
    }
    String text = KeyHeader.decodeValue(wireValue, maxEncodedLength);
    if (text == null) {
      drop("the value is not valid percent-encoded UTF-8");
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

  private void warnOnce(String reason) {
    if (sendWarned.compareAndSet(false, true)) {
      log.warn("reqctx: a value of key '{}' is not sent: {} (logged once per key)", name, reason);
    }
  }

  /** Counts and reports an inbound value that was dropped; logs once per key, never the value. */
  private void drop(String reason) {
    dropped.increment();
    CtxObservers.droppedValue(this, reason);
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
      return new CtxKey<>(name, codec, maxEncodedLength, sensitive);
    }
  }
}
