package io.reqctx.bench.proto;

import java.util.Arrays;

/**
 * A prototype of CtxImpl with (1) the per-request fields (request id, deadline, tier, hop count, span
 * context, cancellation) moved into one shared object, so with() copies three fields, not eight, and
 * (2) values indexed by a 64-bit presence mask, as one level of a hash array mapped trie: a miss is one
 * AND, a hit one popcount, and the array holds values only (no keys). Keys past the 64th are kept as
 * key/value pairs and scanned.
 */
public final class ProtoCtx {
  private static final Object[] EMPTY = new Object[0];

  private final Object request; // stands for the shared per-request state
  private final int attempt;
  private final long mask;
  private final Object[] values; // values of the masked keys, in bit order
  private final Object[] overflow; // key, value pairs of keys without a bit

  private ProtoCtx(Object request, int attempt, long mask, Object[] values, Object[] overflow) {
    this.request = request;
    this.attempt = attempt;
    this.mask = mask;
    this.values = values;
    this.overflow = overflow;
  }

  public static ProtoCtx empty(Object request) {
    return new ProtoCtx(request, 1, 0L, EMPTY, EMPTY);
  }

  @SuppressWarnings("unchecked")
  public <T> T get(ProtoKey<T> key) {
    long bit = key.bit;
    if (bit != 0) {
      return (mask & bit) == 0 ? null : (T) values[Long.bitCount(mask & (bit - 1))];
    }
    Object[] o = overflow;
    for (int i = 0; i < o.length; i += 2) {
      if (o[i] == key) {
        return (T) o[i + 1];
      }
    }
    return null;
  }

  public <T> ProtoCtx with(ProtoKey<T> key, T value) {
    if (key == null || value == null) {
      throw new NullPointerException(key == null ? "key" : "value");
    }
    long bit = key.bit;
    if (bit == 0) {
      return new ProtoCtx(request, attempt, mask, values, putPair(overflow, key, value));
    }
    int index = Long.bitCount(mask & (bit - 1));
    Object[] copy;
    if ((mask & bit) != 0) {
      copy = values.clone();
      copy[index] = value;
    } else {
      copy = new Object[values.length + 1];
      System.arraycopy(values, 0, copy, 0, index);
      copy[index] = value;
      System.arraycopy(values, index, copy, index + 1, values.length - index);
    }
    return new ProtoCtx(request, attempt, mask | bit, copy, overflow);
  }

  public Object request() {
    return request;
  }

  public int attempt() {
    return attempt;
  }

  private static Object[] putPair(Object[] pairs, Object key, Object value) {
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i] == key) {
        Object[] copy = pairs.clone();
        copy[i + 1] = value;
        return copy;
      }
    }
    Object[] copy = Arrays.copyOf(pairs, pairs.length + 2);
    copy[pairs.length] = key;
    copy[pairs.length + 1] = value;
    return copy;
  }
}
