package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.context.Scope;
import io.reqctx.Tier;
import io.reqctx.resilience4j.DownstreamGuard;
import io.reqctx.resilience4j.GuardedResult;
import io.reqctx.resilience4j.StopReason;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.CheckStockRequest;
import io.reqctx.samples.proto.CheckStockResponse;
import io.reqctx.samples.proto.GetRequest;
import io.reqctx.samples.proto.GetResponse;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import io.reqctx.samples.proto.InventoryServiceGrpc;
import io.reqctx.samples.proto.StockLevel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The inventory tier: after {@code delay_ms} of its own work, reads the stock of each SKU from the
 * cache through a {@link DownstreamGuard}. When the cache call fails (its budget ran out, the breaker
 * is open) the guard's fallback answers with a default stock level and the response is marked
 * degraded; when the inventory's own request is cancelled, nothing is answered.
 */
final class InventoryService extends InventoryServiceGrpc.InventoryServiceImplBase {
  static final String METHOD = InventoryServiceGrpc.getCheckStockMethod().getFullMethodName();
  /** What the fallback answers: the stock level last seen by this process (a stand-in value here). */
  static final int FALLBACK_AVAILABLE = 1;

  private final CacheServiceGrpc.CacheServiceBlockingStub cache;
  private final ChainMode mode;
  private final DownstreamGuard cacheGuard;
  private final HopLog log;

  InventoryService(CacheServiceGrpc.CacheServiceBlockingStub cache, ChainMode mode, DownstreamGuard cacheGuard,
      HopLog log) {
    this.cache = requireNonNull(cache, "cache");
    this.mode = requireNonNull(mode, "mode");
    this.cacheGuard = requireNonNull(cacheGuard, "cacheGuard");
    this.log = requireNonNull(log, "log");
  }

  @Override
  public void checkStock(CheckStockRequest request, StreamObserver<CheckStockResponse> response) {
    HopRecorder hop = HopRecorder.arrive(Role.INVENTORY, METHOD, log);
    try {
      if (hop.work(Duration.ofMillis(request.getDelayMs())) > 0) {
        hop.finish(hop.cancelOutcome(), "stopped before reading the cache");
        response.onError(Status.CANCELLED.asRuntimeException());
        return;
      }
      GetRequest read = GetRequest.newBuilder()
          .setKey("stock:" + String.join(",", request.getSkusList()))
          .setDelayMs(request.getCacheDelayMs())
          .build();
      GuardedResult<GetResponse> stock = readCache(read, hop);
      if (hop.isCancelled()) {
        hop.finish(hop.cancelOutcome(), "request cancelled while reading the cache");
        response.onError(Status.CANCELLED.asRuntimeException());
        return;
      }
      List<Hop> below = new ArrayList<>();
      Hop own;
      if (stock.degraded()) {
        Throwable failure = stock.failure();
        Status status = failure instanceof StatusRuntimeException e ? e.getStatus() : Status.fromThrowable(failure);
        own = hop.finish(HopOutcome.HOP_OUTCOME_DEGRADED_FALLBACK,
            "cache call failed (" + status.getCode() + ", " + stock.degradedReason() + "): answered from the fallback");
        below.add(hop.calleeSeenFromHere(CacheService.METHOD, Tier.CACHE, status));
      } else {
        own = hop.finish(HopOutcome.HOP_OUTCOME_OK, "");
        below.addAll(stock.value().getHopsList());
      }
      response.onNext(CheckStockResponse.newBuilder()
          .addAllLevels(levels(request, stock))
          .setDegraded(stock.degraded())
          .addHops(own)
          .addAllHops(below)
          .build());
      response.onCompleted();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      hop.finish(HopOutcome.HOP_OUTCOME_CANCELLED, "interrupted");
      response.onError(Status.CANCELLED.asRuntimeException());
    } catch (Exception e) {
      boolean cancelled = hop.isCancelled();
      hop.finish(cancelled ? hop.cancelOutcome() : HopOutcome.HOP_OUTCOME_ERROR,
          cancelled ? "request cancelled while reading the cache" : "cache call failed: " + e);
      response.onError(Status.fromThrowable(e).asRuntimeException());
    }
  }

  /**
   * The cache read: through the budget-aware guard with reqctx; in the baseline, a plain call with its
   * static timeout and a try/catch fallback, so the baseline runs no reqctx code on this hop.
   */
  private GuardedResult<GetResponse> readCache(GetRequest read, HopRecorder hop) throws Exception {
    if (mode.staticTimeouts()) {
      try {
        return GuardedResult.fresh(mode.perCall(cache).get(read));
      } catch (StatusRuntimeException e) {
        return GuardedResult.degraded(null, StopReason.ATTEMPTS_EXHAUSTED, e);
      }
    }
    try (Scope ignored = hop.makeCurrent()) {
      return cacheGuard.call(() -> mode.perCall(cache).get(read), (reason, failure) -> null);
    }
  }

  private static List<StockLevel> levels(CheckStockRequest request, GuardedResult<GetResponse> stock) {
    int available = stock.degraded()
        ? FALLBACK_AVAILABLE
        : Integer.parseInt(stock.value().getValue().toString(StandardCharsets.UTF_8));
    List<StockLevel> levels = new ArrayList<>();
    for (String sku : request.getSkusList()) {
      levels.add(StockLevel.newBuilder().setSku(sku).setAvailable(available).setWarehouse("ZRH-1").build());
    }
    return levels;
  }
}
