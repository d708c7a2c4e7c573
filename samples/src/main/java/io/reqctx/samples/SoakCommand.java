package io.reqctx.samples;

import io.reqctx.samples.soak.Soak;
import io.reqctx.samples.soak.SoakPlan;
import io.reqctx.samples.soak.SoakResult;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code soak}: starts the four tiers in this JVM, drives many requests through them with slow hops,
 * client cancels, reqctx-chaos faults, a stalled cache and a killed inventory, prints the figures and
 * a verdict, and exits 0 when the verdict holds, 1 otherwise.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = "Drive many requests through the four tiers under chaos and judge what came back and what was left behind.")
final class SoakCommand implements Callable<Integer> {

  @Spec
  @Nullable CommandSpec spec;

  @Option(names = "--requests", paramLabel = "<n>", description = "Requests to drive after the warm-up (default: ${DEFAULT-VALUE}).")
  int requests = SoakPlan.defaults().requests();

  @Option(names = "--concurrency", paramLabel = "<n>", description = "Requests in flight at once (default: ${DEFAULT-VALUE}).")
  int concurrency = SoakPlan.defaults().concurrency();

  @Option(names = "--seed", paramLabel = "<n>", description = "Seeds the request mix and the chaos rules (default: ${DEFAULT-VALUE}).")
  long seed = SoakPlan.defaults().seed();

  @Option(names = "--client-cancels", paramLabel = "<fraction>",
      description = "Share of requests the client gives up on after 5-300 ms (default: ${DEFAULT-VALUE}).")
  double clientCancels = SoakPlan.defaults().clientCancelFraction();

  @Option(names = "--no-chaos", description = "Run without reqctx-chaos faults.")
  boolean noChaos;

  @Option(names = "--no-drills", description = "Do not stall the cache or kill the inventory.")
  boolean noDrills;

  @Option(names = "--stall-ms", paramLabel = "<ms>", description = "How long the cache stalls (default: ${DEFAULT-VALUE}).")
  long stallMs = SoakPlan.defaults().stall().toMillis();

  @Option(names = "--down-ms", paramLabel = "<ms>", description = "How long the inventory stays down (default: ${DEFAULT-VALUE}).")
  long downMs = SoakPlan.defaults().down().toMillis();

  @Option(names = "--reconnect-cap-ms", paramLabel = "<ms>",
      description = "Cap on the tiers' reconnect backoff; 0 leaves grpc-java's own (default: ${DEFAULT-VALUE}).")
  long reconnectCapMs = SoakPlan.defaults().reconnectCap().toMillis();

  @Option(names = "--heap-tolerance-mib", paramLabel = "<MiB>", description = "Heap growth allowed (default: ${DEFAULT-VALUE}).")
  long heapToleranceMiB = SoakPlan.defaults().heapToleranceMiB();

  @Option(names = "--thread-tolerance", paramLabel = "<n>", description = "Thread growth allowed (default: ${DEFAULT-VALUE}).")
  int threadTolerance = SoakPlan.defaults().threadTolerance();

  @Option(names = "--fd-tolerance", paramLabel = "<n>", description = "Growth in open fds allowed (default: ${DEFAULT-VALUE}).")
  int fdTolerance = SoakPlan.defaults().fdTolerance();

  @Option(names = "--warmup", paramLabel = "<n>",
      description = "Requests run before the start values are taken (default: ${DEFAULT-VALUE}).")
  int warmup = SoakPlan.defaults().warmup();

  @Override
  public Integer call() throws Exception {
    if (spec == null) {
      throw new IllegalStateException("run through picocli's CommandLine");
    }
    PrintWriter out = spec.commandLine().getOut();
    SoakPlan plan = new SoakPlan(requests, concurrency, seed, clientCancels, !noChaos, !noDrills,
        Duration.ofMillis(stallMs), Duration.ofMillis(downMs), reconnectCapMs > 0 ? Duration.ofMillis(reconnectCapMs) : null,
        heapToleranceMiB, threadTolerance, fdTolerance, warmup);
    SoakResult result = Soak.run(plan, out);
    result.print(out);
    return result.passed() ? 0 : 1;
  }
}
