package io.reqctx;

import java.util.Arrays;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The typed values of a ctx, immutable. Each of the first 64 keys created has a bit in {@link #mask};
 * {@link #pairs} holds key, value pairs — first the keys with a bit, in bit order, so the position of
 * a key is the number of lower bits set (a miss and a hit cost a bit count, not a scan), then the rest,
 * in the order they were added, scanned by identity. Keys are meant to be constants, so the first 64
 * cover most programs.
 */
final class Values {
  static final Values EMPTY = new Values(0L, new Object[0]);

  private final long mask;
  private final Object[] pairs;

  private Values(long mask, Object[] pairs) {
    this.mask = mask;
    this.pairs = pairs;
  }

  @SuppressWarnings("unchecked")
  <T> @Nullable T get(CtxKey<T> key) {
    int index = key.index();
    if (index < 64) {
      long bit = 1L << index;
      return (mask & bit) == 0 ? null : (T) pairs[2 * Long.bitCount(mask & (bit - 1)) + 1];
    }
    for (int i = 2 * Long.bitCount(mask); i < pairs.length; i += 2) {
      if (pairs[i] == key) {
        return (T) pairs[i + 1];
      }
    }
    return null;
  }

  Values with(CtxKey<?> key, Object value) {
    int index = key.index();
    if (index < 64) {
      long bit = 1L << index;
      int at = 2 * Long.bitCount(mask & (bit - 1));
      if ((mask & bit) != 0) {
        Object[] copy = pairs.clone();
        copy[at + 1] = value;
        return new Values(mask, copy);
      }
      Object[] copy = new Object[pairs.length + 2];
      System.arraycopy(pairs, 0, copy, 0, at);
      copy[at] = key;
      copy[at + 1] = value;
      System.arraycopy(pairs, at, copy, at + 2, pairs.length - at);
      return new Values(mask | bit, copy);
    }
    for (int i = 2 * Long.bitCount(mask); i < pairs.length; i += 2) {
      if (pairs[i] == key) {
        Object[] copy = pairs.clone();
        copy[i + 1] = value;
        return new Values(mask, copy);
      }
    }
    Object[] copy = Arrays.copyOf(pairs, pairs.length + 2);
    copy[pairs.length] = key;
    copy[pairs.length + 1] = value;
    return new Values(mask, copy);
  }

  void forEach(BiConsumer<CtxKey<?>, Object> visitor) {
    Object[] p = pairs;
    for (int i = 0; i < p.length; i += 2) {
      visitor.accept((CtxKey<?>) p[i], p[i + 1]);
    }
  }
}
