package io.reqctx.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The demo under OpenTelemetry's Java agent ({@code io.opentelemetry.javaagent:opentelemetry-javaagent},
 * copied to {@code target/javaagent/} by the build): the agent's gRPC and Armeria instrumentation create
 * the spans, reqctx enriches them (its default there), and each hop has one CLIENT and one SERVER span,
 * not two of each; the server spans carry reqctx's attributes. The agent exports with its logging exporter; the test reads those lines.
 */
class JavaAgentTest {
  private static final Path AGENT = Path.of("target", "javaagent", "opentelemetry-javaagent.jar").toAbsolutePath();
  private static final Path OUT = Path.of("target", "javaagent-run").toAbsolutePath();
  /** One span as OpenTelemetry's LoggingSpanExporter prints it. */
  private static final Pattern SPAN = Pattern.compile(
      "'([^']*)' : ([0-9a-f]{32}) ([0-9a-f]{16}) (SERVER|CLIENT|INTERNAL|PRODUCER|CONSUMER) \\[tracer: ([^:\\]]+)[^\\]]*\\] (.*)");
  private static final Pattern HAPPY_TRACE = Pattern.compile("(?s)== happy:.*?\\n\\s+GET /orders/\\{id\\}\\s+gateway.*? ([0-9a-f]{8})\\s*\\n");

  private record Span(String name, String traceId, String kind, String tracer, String attributes) {}

  @Test
  void underTheAgentEachHopHasOneClientAndOneServerSpanEnrichedByReqctx() throws Exception {
    assumeTrue(Files.isRegularFile(AGENT), "OpenTelemetry's Java agent is not at " + AGENT
        + " (the build copies io.opentelemetry.javaagent:opentelemetry-javaagent there before the tests)");
    Files.createDirectories(OUT);
    Path log = OUT.resolve("demo-with-agent.log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-javaagent:" + AGENT,
        "-Dotel.service.name=reqctx-samples-agent",
        "-Dotel.traces.exporter=logging",
        "-Dotel.metrics.exporter=none",
        "-Dotel.logs.exporter=none",
        "-Dotel.bsp.schedule.delay=50",
        "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "demo", "--scenario", "happy", "--html", OUT.resolve("pages").toString()));
    Process demo = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!demo.waitFor(300, TimeUnit.SECONDS)) {
      demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("the demo under the agent did not finish within 300 s; see " + log);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(demo.exitValue()).as(output).isZero();

    Matcher happy = HAPPY_TRACE.matcher(output);
    assertThat(happy.find()).as(output).isTrue();
    String prefix = happy.group(1);
    List<Span> spans = new ArrayList<>();
    Matcher span = SPAN.matcher(output);
    while (span.find()) {
      if (span.group(2).startsWith(prefix)) {
        spans.add(new Span(span.group(1), span.group(2), span.group(4), span.group(5), span.group(6)));
      }
    }

    assertThat(spans).as(output).isNotEmpty();
    assertThat(spans).extracting(Span::tracer).as("reqctx creates no span of its own").doesNotContain("io.reqctx");
    for (String method : List.of("reqctx.samples.v1.OrderService/GetOrder",
        "reqctx.samples.v1.InventoryService/CheckStock", "reqctx.samples.v1.CacheService/Get")) {
      List<Span> hop = spans.stream().filter(s -> s.name().equals(method)).toList();
      assertThat(hop).as(method + " in " + spans).extracting(Span::kind).containsExactlyInAnyOrder("CLIENT", "SERVER");
      Span server = hop.stream().filter(s -> s.kind().equals("SERVER")).findFirst().orElseThrow();
      assertThat(server.attributes()).as("the agent's server span, enriched").contains("reqctx.tier=")
          .contains("reqctx.budget.inbound_ms=").contains("reqctx.outcome=ok");
    }
    // The agent's client span starts inside the channel, after reqctx's client interceptor ran: the
    // outgoing call's budget lands on the caller's server span (docs/OBSERVABILITY.md).
    for (String caller : List.of("GET /orders/:id", "reqctx.samples.v1.OrderService/GetOrder",
        "reqctx.samples.v1.InventoryService/CheckStock")) {
      assertThat(spans.stream().filter(s -> s.kind().equals("SERVER") && s.name().equals(caller)))
          .as(caller + " in " + spans).singleElement()
          .extracting(Span::attributes).asString().contains("reqctx.callee.tier=").contains("reqctx.budget.outbound_ms=");
    }
    List<Span> gateway = spans.stream().filter(s -> s.kind().equals("SERVER") && s.attributes().contains("reqctx.tier=gateway")).toList();
    assertThat(gateway).as("the gateway's one server span: " + spans).hasSize(1);
    assertThat(spans.stream().filter(s -> s.kind().equals("SERVER")).count()).as(spans.toString()).isEqualTo(4);
  }
}
