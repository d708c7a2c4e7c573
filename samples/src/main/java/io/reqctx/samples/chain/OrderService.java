package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.context.Scope;
import io.reqctx.Tier;
import io.reqctx.samples.proto.CheckStockRequest;
import io.reqctx.samples.proto.CheckStockResponse;
import io.reqctx.samples.proto.GetOrderRequest;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import io.reqctx.samples.proto.InventoryServiceGrpc;
import io.reqctx.samples.proto.Order;
import io.reqctx.samples.proto.OrderItem;
import java.util.ArrayList;
import java.util.List;

/**
 * The order tier: reads an order's stock from the inventory and answers the order with every hop
 * below it. When reqctx refuses the inventory call for lack of budget, the order fails at once with
 * {@code DEADLINE_EXCEEDED}, the refusal's message and its hop in the trailers; the inventory is never
 * called.
 */
final class OrderService extends io.reqctx.samples.proto.OrderServiceGrpc.OrderServiceImplBase {
  static final String METHOD = io.reqctx.samples.proto.OrderServiceGrpc.getGetOrderMethod().getFullMethodName();
  private static final List<OrderItem> ITEMS = List.of(
      OrderItem.newBuilder().setSku("sku-1042").setName("espresso cups").setQuantity(2).setUnitPriceCents(1250).build(),
      OrderItem.newBuilder().setSku("sku-2077").setName("milk jug").setQuantity(1).setUnitPriceCents(1990).build());

  private final InventoryServiceGrpc.InventoryServiceBlockingStub inventory;
  private final ChainMode mode;
  private final HopLog log;

  OrderService(InventoryServiceGrpc.InventoryServiceBlockingStub inventory, ChainMode mode, HopLog log) {
    this.inventory = requireNonNull(inventory, "inventory");
    this.mode = requireNonNull(mode, "mode");
    this.log = requireNonNull(log, "log");
  }

  @Override
  public void getOrder(GetOrderRequest request, StreamObserver<Order> response) {
    HopRecorder hop = HopRecorder.arrive(Role.ORDER, METHOD, log);
    CheckStockRequest check = CheckStockRequest.newBuilder()
        .addAllSkus(ITEMS.stream().map(OrderItem::getSku).toList())
        .setDelayMs(request.getInventoryDelayMs())
        .setCacheDelayMs(request.getCacheDelayMs())
        .build();
    CheckStockResponse stock;
    try (Scope ignored = hop.makeCurrent()) {
      stock = mode.perCall(inventory).checkStock(check);
    } catch (StatusRuntimeException e) {
      response.onError(failed(hop, e));
      return;
    }
    Hop own = hop.finish(HopOutcome.HOP_OUTCOME_OK, stock.getDegraded() ? "inventory answered degraded" : "");
    response.onNext(Order.newBuilder()
        .setOrderId(request.getOrderId())
        .addAllItems(withStock(stock))
        .setTotalCents(ITEMS.stream().mapToLong(i -> i.getUnitPriceCents() * i.getQuantity()).sum())
        .setDegraded(stock.getDegraded())
        .addHops(own)
        .addAllHops(stock.getHopsList())
        .build());
    response.onCompleted();
  }

  /** Finishes the hop of a failed inventory call and returns the error for the caller, hops in its trailers. */
  private static StatusRuntimeException failed(HopRecorder hop, StatusRuntimeException e) {
    Status status = e.getStatus();
    List<Hop> hops = new ArrayList<>();
    if (!hop.callSent()) {
      // reqctx's client interceptor refused the call: the inventory never saw it.
      HopOutcome outcome = status.getCode() == Status.Code.DEADLINE_EXCEEDED
          ? HopOutcome.HOP_OUTCOME_REJECTED_BUDGET
          : HopRecorder.outcomeOf(status);
      hops.add(hop.finish(outcome, "inventory not called: refused by reqctx (" + status.getCode() + ")"));
    } else {
      List<Hop> below = HopTrailers.hops(e);
      HopOutcome outcome = hop.isCancelled() ? hop.cancelOutcome() : HopRecorder.outcomeOf(status);
      hops.add(hop.finish(outcome, "inventory call failed: " + status.getCode()));
      hops.addAll(below.isEmpty() ? List.of(hop.calleeSeenFromHere(InventoryService.METHOD, Tier.SERVICE, status)) : below);
    }
    return HopTrailers.error(Status.fromCode(status.getCode()).withDescription(status.getDescription()), hops);
  }

  private static List<OrderItem> withStock(CheckStockResponse stock) {
    List<OrderItem> items = new ArrayList<>();
    for (OrderItem item : ITEMS) {
      boolean inStock = stock.getLevelsList().stream()
          .anyMatch(level -> level.getSku().equals(item.getSku()) && level.getAvailable() >= item.getQuantity());
      items.add(item.toBuilder().setInStock(inStock).build());
    }
    return items;
  }
}
