package io.reqctx;

import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.time.Duration;

/** Test support: waits, bounded, until the garbage collector has cleared a weak reference. */
public final class Reachability {
  private Reachability() {}

  /**
   * Returns once {@code ref} is cleared; fails after 30 s of collections, meaning something still
   * holds the referent strongly.
   */
  public static void awaitCollected(WeakReference<?> ref, String what) {
    await(what + " is garbage-collected")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> {
          System.gc();
          return ref.get() == null;
        });
  }
}
