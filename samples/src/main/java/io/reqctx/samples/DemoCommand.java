package io.reqctx.samples;

import io.reqctx.budgets.ReportFormat;
import io.reqctx.samples.chain.SampleFleet;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.demo.Scenario;
import io.reqctx.samples.demo.ScenarioResult;
import io.reqctx.samples.demo.Scenarios;
import io.reqctx.samples.demo.Waterfall;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: starts the chain (and the baseline chain without reqctx) in this JVM on loopback
 * ports, runs the scenarios, prints each as a waterfall with its verdict (and writes it as an HTML
 * page), and exits 0 when every verdict holds, 1 otherwise.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the scenarios against the four tiers started in this JVM and print their waterfalls.")
final class DemoCommand implements Callable<Integer> {

  @Spec
  @Nullable CommandSpec spec;

  @Option(names = "--scenario", paramLabel = "<name>", converter = ScenarioConverter.class,
      description = "Run only this scenario (repeatable): happy, slow-cache, client-cancel, tight-budget, no-reqctx,"
          + " polyglot, polyglot-slow-cache, polyglot-client-cancel, polyglot-tight-budget, polyglot-java-leaf.")
  List<Scenario> only = new ArrayList<>();

  @Option(names = "--polyglot",
      description = "Run the scenarios with a Node inventory and a Python cache (install them first with samples/polyglot/install.sh).")
  boolean polyglot;

  @Option(names = {"--otlp", "--otlp-endpoint"}, paramLabel = "<url>",
      description = "Also export spans over OTLP/HTTP, e.g. http://localhost:4318/v1/traces.")
  @Nullable URI otlpEndpoint;

  @Option(names = "--zipkin", paramLabel = "<url>",
      description = "Also export spans to a Zipkin server, e.g. http://127.0.0.1:9411 (or its /api/v2/spans URL).")
  @Nullable URI zipkin;

  @Option(names = "--html", paramLabel = "<dir>", defaultValue = "reqctx-waterfalls",
      description = "Write each scenario's waterfall as an HTML page into this directory (default: ${DEFAULT-VALUE}).")
  Path htmlDir = Path.of("reqctx-waterfalls");

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec().commandLine().getOut();
    Files.createDirectories(htmlDir);
    List<Scenario> scenarios = !only.isEmpty() ? only : polyglot ? Scenario.polyglot() : Scenario.standard();
    boolean allPassed = true;
    // The budget file first: the tiers are configured from it.
    out.println("budget file " + SampleFleet.RESOURCE + " (reqctx-budgets lint):");
    out.print(SampleFleet.lint().render(ReportFormat.TEXT).indent(2));
    Telemetry.Exporters exporters =
        new Telemetry.Exporters(otlpEndpoint, zipkin == null ? null : Telemetry.Exporters.zipkinSpans(zipkin), null);
    try (Telemetry telemetry = Telemetry.create(exporters, null);
        Scenarios runner = Scenarios.start(telemetry)) {
      out.println("reqctx demo: gateway (HTTP, edge) -> order -> inventory -> cache (gRPC), on " + runner.gatewayUri());
      out.println("budgets in ms; received = budget at arrival, sent = budget put on the call to the next hop");
      out.println();
      for (Scenario scenario : scenarios) {
        ScenarioResult result = runner.run(scenario);
        out.print(Waterfall.render(result));
        Path page = htmlDir.resolve(scenario.cliName() + ".html");
        Files.writeString(page, Waterfall.page(result));
        out.println("   page " + page.toAbsolutePath().normalize());
        out.println();
        out.flush();
        allPassed &= result.passed();
      }
    }
    out.println(allPassed ? "all verdicts hold" : "some verdicts do not hold");
    out.flush();
    return allPassed ? 0 : 1;
  }

  private CommandSpec spec() {
    if (spec == null) {
      throw new IllegalStateException("run through picocli's CommandLine");
    }
    return spec;
  }

  /** Reads a scenario by its command-line name. */
  static final class ScenarioConverter implements picocli.CommandLine.ITypeConverter<Scenario> {
    @Override
    public Scenario convert(String value) {
      return Scenario.forName(value);
    }
  }
}
