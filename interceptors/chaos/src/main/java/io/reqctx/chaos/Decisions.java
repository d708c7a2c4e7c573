package io.reqctx.chaos;

import java.time.Duration;

/**
 * Seeded, order-independent draws: each draw is a hash of the seed, the rule's position, the request
 * key and a stream number (SplitMix64's finaliser), mapped to {@code [0, 1)}. The same inputs always
 * give the same draw, so a request is picked (and delayed) the same way on every run and at every hop.
 */
final class Decisions {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final int PICK = 0;
  private static final int DELAY = 1;

  private Decisions() {}

  static long hash(String key) {
    long h = GOLDEN;
    for (int i = 0; i < key.length(); i++) {
      h = mix(h ^ key.charAt(i));
    }
    return mix(h ^ key.length());
  }

  /** Whether the rule at {@code ruleIndex} picks the request with {@code keyHash}. */
  static boolean picks(long seed, int ruleIndex, long keyHash, double fraction) {
    return fraction > 0 && unit(seed, ruleIndex, keyHash, PICK) < fraction;
  }

  /** The delay drawn for the request, uniform in {@code [min, max]}. */
  static Duration delay(long seed, int ruleIndex, long keyHash, Duration min, Duration max) {
    long span = max.toNanos() - min.toNanos();
    return min.plusNanos((long) (unit(seed, ruleIndex, keyHash, DELAY) * span));
  }

  static double unit(long seed, int ruleIndex, long keyHash, int stream) {
    long h = mix(seed + GOLDEN * (ruleIndex + 1));
    h = mix(h ^ keyHash);
    h = mix(h + stream);
    return (h >>> 11) * 0x1.0p-53;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
