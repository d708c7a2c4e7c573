package io.reqctx.bench.proto;

import java.util.concurrent.atomic.AtomicInteger;

/** A key with a process-wide index: the first 64 keys created get one bit each in {@link ProtoCtx}. */
public final class ProtoKey<T> {
  private static final AtomicInteger NEXT_ID = new AtomicInteger();

  final String name;
  /** {@code 1L << id} for the first 64 keys, 0 for the rest (they fall back to a linear scan). */
  final long bit;

  public ProtoKey(String name) {
    this.name = name;
    int id = NEXT_ID.getAndIncrement();
    this.bit = id < 64 ? 1L << id : 0L;
  }

  @Override
  public String toString() {
    return "ProtoKey[" + name + "]";
  }
}
