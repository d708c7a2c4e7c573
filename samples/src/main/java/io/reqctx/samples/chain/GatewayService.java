package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.context.Scope;
import io.reqctx.Tier;
import io.reqctx.samples.proto.GetOrderRequest;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import io.reqctx.samples.proto.Order;
import io.reqctx.samples.proto.OrderServiceGrpc;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The gateway tier: {@code GET /orders/{id}} calls the order service over gRPC and answers JSON
 * ({@link OrderView}) with the waterfall of every hop. The query parameters {@code cacheDelayMs} and
 * {@code inventoryDelayMs} (0 to {@value #MAX_DELAY_MS}) make a hop slow. An order that failed for
 * lack of time is answered {@code 504} with the reason; a client that left gets nothing.
 */
final class GatewayService implements HttpService {
  static final String ROUTE = "/orders/{id}";
  static final String SERVICE = "GET " + ROUTE;
  static final int MAX_DELAY_MS = 10_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OrderServiceGrpc.OrderServiceFutureStub orders;
  private final ChainMode mode;
  private final HopLog log;
  private final RecentWaterfalls waterfalls;

  GatewayService(OrderServiceGrpc.OrderServiceFutureStub orders, ChainMode mode, HopLog log,
      RecentWaterfalls waterfalls) {
    this.orders = requireNonNull(orders, "orders");
    this.mode = requireNonNull(mode, "mode");
    this.log = requireNonNull(log, "log");
    this.waterfalls = requireNonNull(waterfalls, "waterfalls");
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    GetOrderRequest request;
    try {
      request = GetOrderRequest.newBuilder()
          .setOrderId(ctx.pathParam("id"))
          .setCacheDelayMs(delay(ctx, "cacheDelayMs"))
          .setInventoryDelayMs(delay(ctx, "inventoryDelayMs"))
          .build();
    } catch (IllegalArgumentException e) {
      return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT_UTF_8, e.getMessage());
    }
    HopRecorder hop = HopRecorder.arrive(Role.GATEWAY, SERVICE, log);
    ListenableFuture<Order> order;
    try (Scope ignored = hop.makeCurrent()) {
      order = mode.perCall(orders).getOrder(request);
    }
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    Futures.addCallback(order, new FutureCallback<>() {
      @Override
      public void onSuccess(Order result) {
        List<Hop> hops = new ArrayList<>();
        hops.add(hop.finish(HopOutcome.HOP_OUTCOME_OK, result.getDegraded() ? "order answered degraded" : ""));
        hops.addAll(result.getHopsList());
        response.complete(json(HttpStatus.OK, request, hop, result.getDegraded(), null, hops));
      }

      @Override
      public void onFailure(Throwable failure) {
        Status status = Status.fromThrowable(failure);
        List<Hop> below = failure instanceof StatusRuntimeException e ? HopTrailers.hops(e) : List.of();
        List<Hop> hops = new ArrayList<>();
        HopOutcome outcome = hop.isCancelled() ? hop.cancelOutcome() : HopRecorder.outcomeOf(status);
        hops.add(hop.finish(outcome, "order call failed: " + status.getCode()));
        hops.addAll(below.isEmpty() ? List.of(hop.calleeSeenFromHere(OrderService.METHOD, Tier.SERVICE, status)) : below);
        HttpStatus http = switch (status.getCode()) {
          case DEADLINE_EXCEEDED -> HttpStatus.GATEWAY_TIMEOUT;
          case CANCELLED -> HttpStatus.valueOf(499); // the client closed the request
          default -> HttpStatus.BAD_GATEWAY;
        };
        String error = status.getDescription() != null ? status.getDescription() : status.getCode().toString();
        response.complete(json(http, request, hop, false, error, hops));
      }
    }, MoreExecutors.directExecutor());
    return HttpResponse.of(response);
  }

  private static int delay(ServiceRequestContext ctx, String name) {
    String value = ctx.queryParam(name);
    if (value == null) {
      return 0;
    }
    int millis;
    try {
      millis = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      millis = -1;
    }
    if (millis < 0 || millis > MAX_DELAY_MS) {
      throw new IllegalArgumentException(name + " must be 0 to " + MAX_DELAY_MS + " (milliseconds), got '" + value + "'");
    }
    return millis;
  }

  private HttpResponse json(HttpStatus status, GetOrderRequest request, HopRecorder hop, boolean degraded,
      @Nullable String error, List<Hop> hops) {
    waterfalls.add(hop.traceId(), "GET /orders/" + request.getOrderId() + " answered " + status.code()
        + (error == null ? "" : ": " + error), hops);
    OrderView view = new OrderView(request.getOrderId(), status.code(), hop.traceId(), hop.requestId(), degraded,
        error, hops.stream().map(OrderView.HopView::of).toList());
    try {
      return HttpResponse.of(status, MediaType.JSON_UTF_8, JSON.writeValueAsString(view));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
