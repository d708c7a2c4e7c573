package io.reqctx.bench;

import io.grpc.Context;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.openjdk.jol.info.GraphLayout;

/**
 * Retained heap per in-flight scope with a deadline, excluding user values, next to a baseline of
 * io.grpc.Context cancellable contexts with a deadline, measured the same way in the same JVM.
 *
 * <p>Method 1 (MXBean): hold N scopes, force GC, read used heap before and after; several rounds,
 * variants interleaved, report median and spread. Method 2 (JOL, exact): the object graph reachable
 * from 2N scopes minus the graph reachable from N, divided by N — everything shared (ticker, timer
 * thread, tiers, class data) cancels out, and the per-class difference shows where the bytes go.
 *
 * <pre>{@code
 * java -XX:+UseParallelGC -Xmx2g -cp bench/target/reqctx-bench.jar io.reqctx.bench.ScopeFootprint 100000 7
 * }</pre>
 */
public final class ScopeFootprint {
  private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final String REQUEST_ID = "0123456789abcdef0123456789abcdef";
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private ScopeFootprint() {}

  /** One way of holding an in-flight request with a deadline. */
  private interface Variant {
    Object open(long deadlineNanos);

    void close(Object handle);
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    int jolN = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;

    ScheduledThreadPoolExecutor grpcTimer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "grpc-baseline-timer");
      t.setDaemon(true);
      return t;
    });
    grpcTimer.setRemoveOnCancelPolicy(true);

    Map<String, Variant> variants = new LinkedHashMap<>();
    variants.put("reqctx root scope, given request id", new Variant() {
      @Override
      public Object open(long nanos) {
        return CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofNanos(nanos)).requestId(REQUEST_ID).open();
      }

      @Override
      public void close(Object h) {
        ((CancellableCtx) h).close();
      }
    });
    variants.put("reqctx root scope, generated request id", new Variant() {
      @Override
      public Object open(long nanos) {
        return CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofNanos(nanos)).open();
      }

      @Override
      public void close(Object h) {
        ((CancellableCtx) h).close();
      }
    });
    variants.put("grpc Context.ROOT.withDeadlineAfter", new Variant() {
      @Override
      public Object open(long nanos) {
        return Context.ROOT.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS, grpcTimer);
      }

      @Override
      public void close(Object h) {
        ((Context.CancellableContext) h).cancel(null);
      }
    });

    System.out.printf("JVM: %s %s, GC: %s, max heap %d MiB%n", System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"),
        ManagementFactory.getGarbageCollectorMXBeans().get(0).getName(), Runtime.getRuntime().maxMemory() >> 20);
    System.out.printf("N = %d scopes in flight, %d rounds (variants interleaved, order rotated)%n%n", n, rounds);

    // Warm up class loading and the timer threads so their one-off allocations are not counted.
    for (Variant v : variants.values()) {
      measureOnce(v, 1000);
    }

    Map<String, List<Double>> perScope = new LinkedHashMap<>();
    variants.keySet().forEach(k -> perScope.put(k, new ArrayList<>()));
    List<String> names = new ArrayList<>(variants.keySet());
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get((round + i) % names.size());
        perScope.get(name).add(measureOnce(variants.get(name), n));
      }
    }
    System.out.println("Method 1: used heap after full GC, (after - before) / N, bytes per in-flight scope");
    System.out.printf("%-42s %8s %8s %8s   %s%n", "variant", "median", "min", "max", "all rounds");
    for (var e : perScope.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      System.out.printf("%-42s %8.1f %8.1f %8.1f   %s%n", e.getKey(), median(v), v[0], v[v.length - 1],
          Arrays.toString(e.getValue().stream().mapToLong(Math::round).toArray()));
    }

    System.out.printf("%nMethod 2: JOL object graph of %d minus %d in-flight handles, per handle%n", 2 * jolN, jolN);
    // JOL fills its own reflection caches on first use; do that before anything is counted.
    for (Variant v : variants.values()) {
      Object h = v.open(deadlines(1)[0]);
      GraphLayout.parseInstance(h).totalSize();
      v.close(h);
    }
    for (var e : variants.entrySet()) {
      jolMarginal(e.getKey(), e.getValue(), jolN);
    }
    grpcTimer.shutdownNow();
  }

  private static double measureOnce(Variant v, int n) {
    Object[] handles = new Object[n];
    long[] deadlines = deadlines(n);
    long before = usedAfterGc();
    for (int i = 0; i < n; i++) {
      handles[i] = v.open(deadlines[i]);
    }
    long after = usedAfterGc();
    for (Object h : handles) {
      v.close(h);
    }
    Arrays.fill(handles, null);
    return (after - before) / (double) n;
  }

  /** Deadlines spread over 30..60 minutes: none fires while measured. */
  private static long[] deadlines(int n) {
    SplittableRandom random = new SplittableRandom(42);
    long[] d = new long[n];
    for (int i = 0; i < n; i++) {
      d[i] = 30 * MINUTE_NANOS + random.nextLong(30 * MINUTE_NANOS);
    }
    return d;
  }

  private static void jolMarginal(String name, Variant v, int n) {
    IntFunction<Object[]> open = count -> {
      long[] d = deadlines(count);
      Object[] h = new Object[count];
      for (int i = 0; i < count; i++) {
        h[i] = v.open(d[i]);
      }
      return h;
    };
    Object[] small = open.apply(n);
    GraphLayout smallLayout = GraphLayout.parseInstance(small);
    Object[] extra = open.apply(n);
    GraphLayout bigLayout = GraphLayout.parseInstance(small, extra);
    // The handle arrays themselves are the harness's, not the scopes'.
    long arrays = GraphLayout.parseInstance((Object) extra).totalSize() > 0 ? 16L + 4L * n : 0;
    GraphLayout diff = bigLayout.subtract(smallLayout);
    System.out.printf("%n== %s: %.1f bytes per handle (excluding the %d-byte harness array of %d refs)%n", name,
        (diff.totalSize() - arrays) / (double) n, arrays, n);
    System.out.println(diff.toFootprint());
    for (Object h : small) {
      v.close(h);
    }
    for (Object h : extra) {
      v.close(h);
    }
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return MEMORY.getHeapMemoryUsage().getUsed();
  }

  private static double median(double[] sorted) {
    int m = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }
}
