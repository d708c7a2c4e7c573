package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import io.reqctx.samples.demo.EmbeddedChain;
import io.reqctx.testing.StrictLeakExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The gateway's HTTP/JSON API as {@code curl} sees it, on the four tiers started on loopback. */
@ExtendWith(StrictLeakExtension.class)
class GatewayHttpApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static EmbeddedChain chain;
  static Telemetry telemetry;
  static WebClient curl;

  @BeforeAll
  static void startChain() throws Exception {
    telemetry = Telemetry.create(Telemetry.Exporters.none(), null);
    chain = EmbeddedChain.start(ChainMode.REQCTX, telemetry, new HopLog());
    curl = WebClient.of(chain.gatewayUri());
  }

  @AfterAll
  static void stopChain() throws Exception {
    chain.close();
    telemetry.close();
  }

  @Test
  void answersJsonWithTheWaterfallOfEveryHop() throws Exception {
    AggregatedHttpResponse response = curl.get("/orders/42").aggregate().join();
    JsonNode body = JSON.readTree(response.contentUtf8());

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(body.get("traceId").asText()).hasSize(32);
    assertThat(body.get("requestId").asText()).isEqualTo(response.headers().get("x-request-id")).isNotEmpty();
    assertThat(body.get("hops")).hasSize(4);
    JsonNode gateway = body.get("hops").get(0);
    assertThat(gateway.get("service").asText()).isEqualTo("GET /orders/{id}");
    assertThat(gateway.get("tier").asText()).isEqualTo("gateway");
    assertThat(gateway.get("capMs").asInt()).isEqualTo(5000);
    // No budget header: the gateway's own cap applies, and the service below gets less.
    assertThat(gateway.get("receivedBudgetMs").asInt()).isBetween(4900, 5000);
    assertThat(gateway.get("sentBudgetMs").asInt()).isBetween(2900, 3000);
    assertThat(gateway.get("elapsedMs").asInt()).isNotNegative();
    assertThat(gateway.get("outcome").asText()).isEqualTo("OK");
    assertThat(body.get("hops").get(3).get("service").asText()).isEqualTo("reqctx.samples.v1.CacheService/Get");
  }

  @Test
  void servesTheWaterfallPageOfARecentRequestByItsTraceId() throws Exception {
    JsonNode order = JSON.readTree(curl.get("/orders/77").aggregate().join().contentUtf8());
    String traceId = order.get("traceId").asText();

    AggregatedHttpResponse index = curl.get("/waterfalls").aggregate().join();
    AggregatedHttpResponse page = curl.get("/waterfalls/" + traceId).aggregate().join();

    assertThat(index.status().code()).isEqualTo(200);
    assertThat(index.contentUtf8()).contains("href=\"/waterfalls/" + traceId + "\"").contains("GET /orders/77 answered 200");
    assertThat(page.status().code()).isEqualTo(200);
    assertThat(page.headers().contentType().toString()).startsWith("text/html");
    String html = page.contentUtf8();
    assertThat(html).contains("<svg").contains("trace " + traceId).doesNotContain("src=\"http").doesNotContain("href=\"http");
    for (int i = 0; i < 4; i++) {
      JsonNode hop = order.get("hops").get(i);
      assertThat(html).contains("data-tier=\"" + hop.get("tier").asText() + "\" data-outcome=\"" + hop.get("outcome").asText()
          + "\" data-start-ms=\"0\" data-received-ms=\"" + hop.get("receivedBudgetMs").asInt() + "\" data-sent-ms=\""
          + hop.get("sentBudgetMs").asInt() + "\" data-elapsed-ms=\"" + hop.get("elapsedMs").asInt() + "\"");
    }
    assertThat(curl.get("/waterfalls/0123456789abcdef0123456789abcdef").aggregate().join().status().code()).isEqualTo(404);
  }

  @Test
  void aSlowCacheQueryParameterGivesADegradedAnswerWithTheCacheRowWrittenByItsCaller() throws Exception {
    AggregatedHttpResponse response =
        curl.prepare().get("/orders/7?cacheDelayMs=1000").header("reqctx-budget-ms", "2000").execute().aggregate().join();
    JsonNode body = JSON.readTree(response.contentUtf8());

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(body.get("degraded").asBoolean()).isTrue();
    JsonNode cache = body.get("hops").get(3);
    assertThat(cache.get("tier").asText()).isEqualTo("cache");
    assertThat(cache.get("outcome").asText()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(cache.get("reportedByCaller").asBoolean()).isTrue();
    assertThat(body.get("hops").get(2).get("outcome").asText()).isEqualTo("DEGRADED_FALLBACK");
  }

  @Test
  void aForgedLongBudgetIsClampedToTheGatewayCap() throws Exception {
    AggregatedHttpResponse response =
        curl.prepare().get("/orders/9").header("reqctx-budget-ms", "60000").execute().aggregate().join();

    JsonNode gateway = JSON.readTree(response.contentUtf8()).get("hops").get(0);
    assertThat(gateway.get("receivedBudgetMs").asInt()).isBetween(4900, 5000);
  }

  @Test
  void aBadDelayIsRefusedWith400() {
    AggregatedHttpResponse response = curl.get("/orders/1?inventoryDelayMs=-5").aggregate().join();

    assertThat(response.status().code()).isEqualTo(400);
    assertThat(response.contentUtf8()).contains("inventoryDelayMs must be 0 to 10000");
  }
}
