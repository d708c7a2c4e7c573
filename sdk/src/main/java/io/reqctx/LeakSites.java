package io.reqctx;

import org.jspecify.annotations.Nullable;

/**
 * Whether to capture where scopes and tasks are created, for leak reports. System property
 * {@code reqctx.leaks.sites}: {@code off} (default) or {@code always}.
 */
final class LeakSites {
  private static volatile boolean always = "always".equals(System.getProperty("reqctx.leaks.sites", "off"));

  private LeakSites() {}

  static @Nullable Throwable capture(String what) {
    return always ? new Throwable(what) : null;
  }

  /** For strict test mode. */
  static void setAlways(boolean on) {
    always = on;
  }
}
