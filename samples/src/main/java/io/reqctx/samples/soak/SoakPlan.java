package io.reqctx.samples.soak;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a soak does and what it tolerates.
 *
 * <pre>{@code
 * SoakPlan plan = SoakPlan.defaults().withRequests(100_000).withConcurrency(32);
 * }</pre>
 *
 * @param requests how many requests to drive (after the warm-up)
 * @param concurrency how many are in flight at once, on one HTTP/2 connection
 * @param seed seeds the request mix and the chaos rules
 * @param clientCancelFraction the share of requests the client gives up on after 5 to 300 ms
 * @param chaos whether the tiers inject reqctx-chaos faults ({@link SoakChaos})
 * @param drills whether to stall the cache and kill the inventory during the run
 * @param stall how long the cache stalls
 * @param down how long the inventory stays down before it restarts
 * @param reconnectCap the cap on the tiers' reconnect backoff; null leaves grpc-java's own
 * @param heapToleranceMiB how much more heap (after a full collection) the end may use than the start
 * @param threadTolerance how many more threads the end may have than the start
 * @param fdTolerance how many more open file descriptors the end may have than the start
 * @param warmup requests run before the start values are taken (class loading, compilation, pools)
 */
public record SoakPlan(
    int requests, int concurrency, long seed, double clientCancelFraction, boolean chaos, boolean drills,
    Duration stall, Duration down, @Nullable Duration reconnectCap, long heapToleranceMiB, int threadTolerance,
    int fdTolerance, int warmup) {

  public SoakPlan {
    requireNonNull(stall, "stall");
    requireNonNull(down, "down");
    if (requests < 1 || concurrency < 1) {
      throw new IllegalArgumentException("requests and concurrency must be 1 or more, got " + requests + " and " + concurrency);
    }
    if (warmup < 0) {
      throw new IllegalArgumentException("warmup must be 0 or more, got " + warmup);
    }
    if (!(clientCancelFraction >= 0 && clientCancelFraction <= 1)) {
      throw new IllegalArgumentException("the client cancel fraction must be 0 to 1, got " + clientCancelFraction);
    }
  }

  /**
   * 2 000 requests, 32 at once, seed 42, 5 % client cancels, chaos and drills on, a 2 s stall, 3 s down,
   * reconnects capped at 1 s, tolerances +32 MiB, +16 threads, +16 fds, 300 warm-up requests.
   */
  public static SoakPlan defaults() {
    return new SoakPlan(2_000, 32, 42, 0.05, true, true, Duration.ofSeconds(2), Duration.ofSeconds(3),
        Duration.ofSeconds(1), 32, 16, 16, 300);
  }

  public SoakPlan withRequests(int n) {
    return new SoakPlan(n, concurrency, seed, clientCancelFraction, chaos, drills, stall, down, reconnectCap,
        heapToleranceMiB, threadTolerance, fdTolerance, warmup);
  }

  public SoakPlan withConcurrency(int n) {
    return new SoakPlan(requests, n, seed, clientCancelFraction, chaos, drills, stall, down, reconnectCap,
        heapToleranceMiB, threadTolerance, fdTolerance, warmup);
  }
}
