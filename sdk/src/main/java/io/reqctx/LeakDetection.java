package io.reqctx;

import java.lang.ref.Cleaner;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How hard reqctx looks for leaks. System property {@code reqctx.leaks}:
 *
 * <ul>
 *   <li>{@code off}: leaks found at close (open children, running tasks, misordered attaches) are still
 *       counted and logged, without creation sites; nothing is tracked through the garbage collector.
 *   <li>{@code sampled} (default): additionally, one scope or task in {@value #SAMPLE_EVERY} records
 *       where it was created, and sampled scopes are watched for being garbage-collected while open.
 *   <li>{@code always}: every scope, task and attach is; for tests and debugging.
 * </ul>
 *
 * <p>Every leak is reported to {@link CtxObserver#onLeak}, as a flight recorder event, and in one
 * log line per creation site (logger {@code io.reqctx.leaks}). Tests use
 * {@code io.reqctx.testing.StrictLeakExtension}, which sets {@code always} and fails a test that leaks.
 *
 * <pre>{@code
 * LeakDetection.setMode(LeakDetection.Mode.ALWAYS);   // or -Dreqctx.leaks=always
 * }</pre>
 */
public final class LeakDetection {
  /** In {@link Mode#SAMPLED}, one in this many scopes and attaches is watched. */
  public static final int SAMPLE_EVERY = 256;
  private static final Logger log = LoggerFactory.getLogger("io.reqctx.leaks");
  private static final Cleaner CLEANER = Cleaner.create();
  private static final int MAX_LOGGED_SITES = 1024;
  private static final Set<String> loggedSites = ConcurrentHashMap.newKeySet();

  /** How hard to look; see the class description. */
  public enum Mode {
    /** Count and log leaks found at close; capture no creation sites; watch nothing. */
    OFF,
    /** Also capture the creation site of one scope or task in {@value #SAMPLE_EVERY}, and watch those scopes. */
    SAMPLED,
    /** Capture and watch every scope, task and attach. */
    ALWAYS
  }

  private static volatile Mode mode = parse(System.getProperty("reqctx.leaks", "sampled"));

  private LeakDetection() {}

  private static Mode parse(String value) {
    try {
      return Mode.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      log.warn("reqctx: unknown value '{}' for -Dreqctx.leaks (off, sampled, always); using sampled", value);
      return Mode.SAMPLED;
    }
  }

  /** Where something was created, or null when this one is not sampled. */
  static @Nullable Throwable captureSite(String what) {
    Mode m = mode;
    if (m == Mode.ALWAYS || (m == Mode.SAMPLED && ThreadLocalRandom.current().nextInt(SAMPLE_EVERY) == 0)) {
      return new Throwable(what);
    }
    return null;
  }

  /**
   * Where an attach was made, in {@link Mode#ALWAYS} only: attaches happen on every callback of every
   * call, and their misuse (out of order, on another thread) is caught without a creation site.
   */
  static @Nullable Throwable captureAttachSite() {
    return mode == Mode.ALWAYS ? new Throwable("makeCurrent() called here") : null;
  }

  /**
   * Watches {@code owner}: when it becomes unreachable before {@link Watch#done()} is called, a leak of
   * {@code kind} is reported. Only call with a captured site (sampled objects are watched).
   */
  static Watch watch(
      Object owner, LeakReport.Kind kind, String description, Throwable site, @Nullable CtxObserver scopeObserver) {
    Watch watch = new Watch(kind, description, site, scopeObserver);
    watch.cleanable = CLEANER.register(owner, watch);
    return watch;
  }

  /**
   * Reports a leak found by a check outside this package (reqctx-chaos's {@code ValueLeak} detector) the
   * way reqctx reports its own: to {@link CtxObserver#onLeak}, as a flight recorder event, and in one log
   * line per creation site (or per kind without one).
   *
   * <pre>{@code
   * LeakDetection.report(new LeakReport(LeakReport.Kind.VALUE_RETAINED_AFTER_CTX_END, "request 4f2a..., tier SERVICE", null));
   * }</pre>
   */
  public static void report(LeakReport leak) {
    report(java.util.Objects.requireNonNull(leak, "leak"), null);
  }

  /**
   * Reports a leak: to the observers (the JVM-wide ones and {@code scopeObserver}, the observer of the
   * leaked scope's tree), as a flight event, and in one log line per creation site (or per kind without one).
   */
  static void report(LeakReport leak, @Nullable CtxObserver scopeObserver) {
    FlightEvents.leaked(leak);
    CtxObservers.leaked(leak, scopeObserver);
    String site = leak.kind() + (leak.creationSite() == null ? "" : signature(leak.creationSite()));
    if (loggedSites.size() < MAX_LOGGED_SITES && loggedSites.add(site)) {
      log.warn(leak.message() + " (logged once per site)", leak.creationSite());
    }
  }

  private static String signature(Throwable site) {
    StringBuilder sb = new StringBuilder();
    StackTraceElement[] frames = site.getStackTrace();
    for (int i = 0; i < Math.min(frames.length, 12); i++) {
      sb.append(frames[i]).append(';');
    }
    return sb.toString();
  }

  /** The current mode. */
  public static Mode mode() {
    return mode;
  }

  /**
   * Changes the mode for scopes and attaches created from now on. The mode is global mutable state,
   * shared by the whole JVM: a test that changes it restores the previous mode when it ends
   * ({@code io.reqctx.testing.StrictLeakExtension} does).
   */
  public static void setMode(Mode newMode) {
    mode = java.util.Objects.requireNonNull(newMode, "newMode");
  }

  /** A watched object's state; the cleaner holds it, so it must not reference the owner. */
  static final class Watch implements Runnable {
    private final LeakReport.Kind kind;
    private final String description;
    private final Throwable site;
    private final @Nullable CtxObserver scopeObserver;
    private volatile boolean done;
    private Cleaner.@Nullable Cleanable cleanable;

    private Watch(LeakReport.Kind kind, String description, Throwable site, @Nullable CtxObserver scopeObserver) {
      this.kind = kind;
      this.description = description;
      this.site = site;
      this.scopeObserver = scopeObserver;
    }

    /** The owner ended properly: stop watching. */
    void done() {
      done = true;
      Cleaner.Cleanable c = cleanable;
      if (c != null) {
        c.clean();
      }
    }

    @Override
    public void run() {
      if (!done) {
        report(new LeakReport(kind, description, site), scopeObserver);
      }
    }
  }
}
