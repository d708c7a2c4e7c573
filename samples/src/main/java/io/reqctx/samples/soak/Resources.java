package io.reqctx.samples.soak;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.ref.WeakReference;

/**
 * What the JVM holds: heap in use after a full garbage collection, live threads, open file
 * descriptors, and the machine's load average.
 *
 * @param heapBytes heap in use after a full collection
 * @param threads live threads
 * @param fds open file descriptors (-1 where the platform does not say)
 * @param loadAverage the one-minute load average (-1 where the platform does not say)
 */
record Resources(long heapBytes, int threads, long fds, double loadAverage) {

  /** Collects garbage until an object dropped now is gone (at most 20 rounds), then reads the counts. */
  static Resources afterFullGc() {
    WeakReference<Object> canary = new WeakReference<>(new Object());
    for (int i = 0; i < 20 && canary.get() != null; i++) {
      System.gc();
    }
    System.gc();
    return now();
  }

  static Resources now() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    long fds = os instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getOpenFileDescriptorCount() : -1;
    return new Resources(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
        ManagementFactory.getThreadMXBean().getThreadCount(), fds, os.getSystemLoadAverage());
  }

  static double currentLoad() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  double heapMiB() {
    return heapBytes / (1024.0 * 1024.0);
  }
}
