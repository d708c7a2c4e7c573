package io.reqctx.samples;

import io.opentelemetry.context.Scope;
import io.reqctx.BudgetPolicy;
import io.reqctx.Callee;
import io.reqctx.CtxExecutors;
import io.reqctx.CtxKey;
import io.reqctx.KeyCodec;
import io.reqctx.OutboundBudget;
import io.reqctx.RequestCtx;
import io.reqctx.RequestScope;
import io.reqctx.Tier;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The in-process demo of the reqctx core: a gateway budget shrinking through a service to a cache, a
 * call refused for lack of budget, and a cancellation that stops work on another thread.
 *
 * <pre>{@code
 * java -jar samples/target/reqctx-samples.jar demo
 * }</pre>
 */
public final class Main {
  static final CtxKey<String> TENANT = CtxKey.propagated("tenant", KeyCodec.string()).build();

  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "demo" : args[0];
    if (!command.equals("demo")) {
      System.err.println("usage: java -jar reqctx-samples.jar demo");
      System.exit(2);
    }
    System.exit(new CoreDemo(System.out).run() ? 0 : 1);
  }

  /** The three scenarios; {@link #run()} returns whether every verdict held. */
  static final class CoreDemo {
    private final PrintStream out;
    private final BudgetPolicy policy = BudgetPolicy.builder()
        .reserveFloor(Duration.ofMillis(5)).reserveFraction(0.05).minimumViableBudget(Duration.ofMillis(20)).build();

    CoreDemo(PrintStream out) {
      this.out = out;
    }

    boolean run() throws Exception {
      return waterfall() & failFast() & cancellation();
    }

    /** A 2 s request: each hop gets less than the one before, never more than its cap. */
    boolean waterfall() {
      out.println("== waterfall: a 2 s request, gateway -> service -> cache");
      try (RequestScope gateway = RequestScope.newRoot(Tier.GATEWAY).budget(Duration.ofSeconds(2))
          .value(TENANT, "acme").open()) {
        Duration atGateway = gateway.ctx().remainingBudget().orElseThrow();
        var toService = (OutboundBudget.Send) policy.outbound(atGateway, Tier.GATEWAY, Callee.of("order", Tier.SERVICE));
        Duration atService = policy.inboundBudget(toService.budget(), Tier.SERVICE, null);
        var toCache = (OutboundBudget.Send) policy.outbound(atService, Tier.SERVICE, Callee.of("cache", Tier.CACHE));
        Duration atCache = policy.inboundBudget(toCache.budget(), Tier.CACHE, null);
        out.printf("  %-8s %-8s cap %5dms  budget %5dms%n", "gateway", "gateway", Tier.GATEWAY.cap().toMillis(), atGateway.toMillis());
        out.printf("  %-8s %-8s cap %5dms  budget %5dms  (reserve %dms, limited by %s)%n", "order", "service",
            Tier.SERVICE.cap().toMillis(), atService.toMillis(), toService.reserve().toMillis(), toService.limitedBy());
        out.printf("  %-8s %-8s cap %5dms  budget %5dms  (reserve %dms, limited by %s)%n", "cache", "cache",
            Tier.CACHE.cap().toMillis(), atCache.toMillis(), toCache.reserve().toMillis(), toCache.limitedBy());
        boolean ok = atService.compareTo(atGateway) < 0 && atCache.compareTo(atService) < 0
            && atCache.compareTo(Tier.CACHE.cap()) <= 0;
        out.println(verdict(ok, "each hop received less than the one before and no more than its cap"));
        return ok;
      }
    }

    /** 25 ms left: the call to the cache is refused before it is sent. */
    boolean failFast() {
      out.println("== fail fast: 25 ms left at the service");
      OutboundBudget verdict = policy.outbound(Duration.ofMillis(25), Tier.SERVICE, Callee.of("cache.CacheService/Get", Tier.CACHE));
      boolean ok = verdict instanceof OutboundBudget.FailFast;
      if (verdict instanceof OutboundBudget.FailFast f) {
        out.println("  " + f.message());
      }
      out.println(verdict(ok, "the call was refused locally, with the numbers"));
      return ok;
    }

    /** Cancelling the request stops a task running on a pool thread. */
    boolean cancellation() throws Exception {
      out.println("== cancellation: the caller leaves while work runs on another thread");
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try (RequestScope request = RequestScope.newRoot(Tier.SERVICE).budget(Duration.ofSeconds(3)).open()) {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<String> work;
        try (Scope ignored = request.makeCurrent()) {
          work = CtxExecutors.supplyAsync(() -> {
            started.countDown();
            try {
              new CountDownLatch(1).await(30, TimeUnit.SECONDS);
              return "finished (should not happen)";
            } catch (InterruptedException e) {
              return "interrupted";
            }
          }, pool);
        }
        started.await(10, TimeUnit.SECONDS);
        long cancelledAt = System.nanoTime();
        request.cancel(new RuntimeException("client went away"));
        boolean stopped = work.handle((v, e) -> e != null).get(10, TimeUnit.SECONDS);
        out.printf("  request %s cancelled; task stopped after %.2f ms%n", request.ctx().requestId(),
            (System.nanoTime() - cancelledAt) / 1e6);
        boolean ok = stopped && RequestCtx.current() == RequestCtx.root();
        out.println(verdict(ok, "the task stopped with its request"));
        return ok;
      } finally {
        pool.shutdownNow();
      }
    }

    private static String verdict(boolean ok, String what) {
      return (ok ? "  PASS: " : "  FAIL: ") + what;
    }
  }
}
