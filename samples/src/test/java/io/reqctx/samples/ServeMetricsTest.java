package io.reqctx.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.GetRequest;
import io.reqctx.testing.StrictLeakExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** {@code serve --metrics-port}: a running tier answers a Prometheus scrape with reqctx's and the JVM's metrics. */
@ExtendWith(StrictLeakExtension.class)
class ServeMetricsTest {
  private static final Pattern LISTENING = Pattern.compile("reqctx-samples cache listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern METRICS = Pattern.compile("reqctx-samples cache metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)");

  @Test
  void aScrapeOfARunningTierShowsTheBudgetItReceivedAndTheJvm() throws Exception {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
        () -> cli.execute("serve", "--role", "cache", "--port", "0", "--metrics-port", "0"));
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> LISTENING.matcher(out.toString()).find());
      Matcher listening = LISTENING.matcher(out.toString());
      Matcher metrics = METRICS.matcher(out.toString());
      assertThat(listening.find()).isTrue();
      assertThat(metrics.find()).as(out.toString()).isTrue();
      ManagedChannel channel = NettyChannelBuilder.forTarget("127.0.0.1:" + listening.group(1)).usePlaintext().build();
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> channel.getState(true) == ConnectivityState.READY);
        for (int i = 0; i < 3; i++) {
          CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
              .get(GetRequest.newBuilder().setKey("stock:sku-" + i).build());
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      HttpResponse<String> scrape = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(metrics.group(1))).timeout(Duration.ofSeconds(30))
              .header("Accept", "text/plain").build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      String text = scrape.body();
      java.nio.file.Files.writeString(java.nio.file.Path.of("target", "metrics-scrape.txt"), text);
      // Three calls arrived at the cache, each with a budget inside the cache's cap (800 ms).
      assertThat(text).containsPattern(
          "(?m)^reqctx_budget_at_arrival_milliseconds_count\\{[^}]*reqctx_tier=\"cache\"[^}]*\\} 3(\\.0)?$");
      assertThat(text).containsPattern(
          "(?m)^reqctx_budget_at_arrival_milliseconds_bucket\\{[^}]*le=\"1000(\\.0)?\"[^}]*reqctx_tier=\"cache\"[^}]*\\} 3(\\.0)?$"
              + "|(?m)^reqctx_budget_at_arrival_milliseconds_bucket\\{[^}]*reqctx_tier=\"cache\"[^}]*le=\"1000(\\.0)?\"[^}]*\\} 3(\\.0)?$");
      assertThat(text).containsPattern("(?m)^reqctx_propagation_depth_count\\{[^}]*reqctx_tier=\"cache\"[^}]*\\} 3(\\.0)?$");
      assertThat(text).contains("service_name=\"reqctx-samples-cache\"");
      assertThat(text).containsPattern("(?m)^jvm_memory_used_bytes\\{");
      assertThat(text).containsPattern("(?m)^jvm_thread_count\\{");
    } finally {
      ((ServeCommand) cli.getSubcommands().get("serve").getCommand()).stop();
    }
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
  }
}
