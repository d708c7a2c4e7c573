package io.reqctx.samples.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import io.reqctx.samples.chain.OrderView;
import io.reqctx.internal.wire.WireHeaders;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The demo's HTTP client of the gateway, playing the end user: it sends its budget in {@code
 * reqctx-budget-ms} and either waits for the answer or gives up early (the stream is reset, as a
 * browser or a mobile app does when the user leaves).
 *
 * <pre>{@code
 * GatewayClient client = new GatewayClient(chain.gatewayUri());
 * GatewayClient.Answer answer = client.get("42", Duration.ofSeconds(2), 0, 0);
 * }</pre>
 */
final class GatewayClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final WebClient client;

  GatewayClient(URI gateway) {
    this.client = WebClient.builder(gateway).responseTimeout(Duration.ofSeconds(10)).build();
  }

  /**
   * The gateway's answer.
   *
   * @param status the HTTP status
   * @param order the JSON body, or null when it was not JSON
   * @param body the raw body
   */
  record Answer(int status, @Nullable OrderView order, String body) {}

  /** Asks for order {@code orderId} with {@code budget} and waits for the answer. */
  Answer get(String orderId, Duration budget, int cacheDelayMs, int inventoryDelayMs) throws Exception {
    AggregatedHttpResponse response = send(orderId, budget, cacheDelayMs, inventoryDelayMs).aggregate().get(15, TimeUnit.SECONDS);
    String body = response.contentUtf8();
    OrderView order = null;
    MediaType type = response.contentType();
    if (type != null && type.is(MediaType.JSON)) {
      try {
        order = JSON.readValue(body, OrderView.class);
      } catch (IOException e) {
        order = null;
      }
    }
    return new Answer(response.status().code(), order, body);
  }

  /**
   * Asks for order {@code orderId}, waits {@code patience}, then gives up on the request (resets its
   * stream) and returns {@link System#nanoTime()} at that moment.
   *
   * @throws IllegalStateException when the answer came before the client gave up
   */
  long getAndGiveUp(String orderId, Duration budget, int cacheDelayMs, Duration patience) throws Exception {
    HttpResponse response = send(orderId, budget, cacheDelayMs, 0);
    CompletableFuture<AggregatedHttpResponse> answer = response.aggregate();
    try {
      answer.get(patience.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException expected) {
      long gaveUp = System.nanoTime();
      response.abort();
      return gaveUp;
    }
    throw new IllegalStateException("the gateway answered within " + patience.toMillis() + "ms: nothing to give up");
  }

  private HttpResponse send(String orderId, Duration budget, int cacheDelayMs, int inventoryDelayMs) {
    String path = "/orders/" + orderId + "?cacheDelayMs=" + cacheDelayMs + "&inventoryDelayMs=" + inventoryDelayMs;
    return client.execute(RequestHeaders.builder(HttpMethod.GET, path)
        .set(WireHeaders.BUDGET_MS, Long.toString(budget.toMillis()))
        .build());
  }
}
