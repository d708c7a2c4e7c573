package io.reqctx.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.GetRequest;
import io.reqctx.samples.proto.GetResponse;
import io.reqctx.testing.StrictLeakExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** The command-line contract: {@code serve} and {@code demo}, run in-process. */
@ExtendWith(StrictLeakExtension.class)
class CommandLineTest {
  private static final Pattern LISTENING = Pattern.compile("reqctx-samples cache listening on 127\\.0\\.0\\.1:(\\d+)");

  @Test
  void serveStartsOneRoleSaysWhereItListensAndAnswersUntilStopped() throws Exception {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute("serve", "--role", "cache", "--port", "0"));

    await().atMost(Duration.ofSeconds(60)).until(() -> LISTENING.matcher(out.toString()).find());
    Matcher listening = LISTENING.matcher(out.toString());
    assertThat(listening.find()).isTrue();
    ManagedChannel channel = NettyChannelBuilder.forTarget("127.0.0.1:" + listening.group(1)).usePlaintext().build();
    try {
      // Connected first, and a deadline a loaded machine cannot miss: the answer is what is checked, not its speed.
      await().atMost(Duration.ofSeconds(30)).until(() -> channel.getState(true) == ConnectivityState.READY);
      GetResponse response = CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .get(GetRequest.newBuilder().setKey("stock:sku-1").build());
      assertThat(response.getFound()).isTrue();
      assertThat(response.getHops(0).getReceivedBudgetMs()).isBetween(1, 800);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(exit).isNotDone();

    ((ServeCommand) cli.getSubcommands().get("serve").getCommand()).stop();
    assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(out.toString()).contains("hop cache request=").contains("outcome=OK");
  }

  @Test
  void serveRefusesATierWithoutItsDownstream() {
    CommandLine cli = Main.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));

    int exit = cli.execute("serve", "--role", "order", "--port", "0");

    assertThat(exit).isNotZero();
    assertThat(err.toString()).contains("the order tier needs --downstream <host:port>");
  }

  @Test
  void serveRefusesTwoBaselinesAtOnce() {
    CommandLine cli = Main.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));

    int exit = cli.execute("serve", "--role", "cache", "--port", "0", "--static-timeouts", "--otel-tracing-only");

    assertThat(exit).isEqualTo(2); // picocli's usage error
    assertThat(err.toString()).contains("--static-timeouts and --otel-tracing-only are two different baselines");
  }

  @Test
  void demoRunsAScenarioPrintsItsWaterfallAndExitsZero() {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));

    int exit = cli.execute("demo", "--scenario", "tight-budget", "--html", "target/command-line-waterfalls");

    assertThat(exit).as(out.toString()).isZero();
    assertThat(out.toString()).contains("fleet 'reqctx-samples' (fleet.yaml): clean (4 services, 4 methods, 3 calls)");
    assertThat(out.toString()).contains("== tight-budget").contains("REJECTED_BUDGET").contains("PASS ")
        .contains("all verdicts hold");
    assertThat(java.nio.file.Path.of("target", "command-line-waterfalls", "tight-budget.html"))
        .content().contains("<svg").contains("data-outcome=\"REJECTED_BUDGET\"");
  }
}
