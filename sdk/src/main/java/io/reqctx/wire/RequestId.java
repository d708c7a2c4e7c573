package io.reqctx.wire;

import java.util.concurrent.ThreadLocalRandom;

/** Placeholder until the wire codecs land. */
public final class RequestId {
  private RequestId() {}

  public static String generate() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return String.format("%016x%016x", r.nextLong(), r.nextLong());
  }
}
