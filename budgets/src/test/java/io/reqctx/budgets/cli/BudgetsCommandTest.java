package io.reqctx.budgets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line in process: exit codes, formats, export targets. */
class BudgetsCommandTest {
  @TempDir Path dir;

  private static final String BROKEN = """
      fleet: t
      services:
        front:
          tier: gateway
          methods:
            shop.Front/Get:
              budget: 1s
              calls:
                - shop.Orders/Get
        orders:
          tier: service
          methods:
            shop.Orders/Get:
              budget: 2s
      """;

  private record Result(int exit, String out, String err) {}

  private Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = BudgetsCommand.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(exit, out.toString(), err.toString());
  }

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = BudgetsCommandTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void cleanFleetExitsZero() throws IOException {
    Path file = write("sample.yaml", Files.readString(Path.of("../samples/src/main/resources/io/reqctx/samples/fleet.yaml")));
    Result r = run("lint", file.toString());
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out).isEqualTo("fleet 'reqctx-samples' (" + file + "): clean (4 services, 4 methods, 3 calls)\n");
  }

  @Test
  void findingsExitOneWithFileLineRuleNumbersAndFix() throws IOException {
    Path file = write("fleet.yaml", BROKEN);
    Result r = run("lint", file.toString());
    assertThat(r.exit).isEqualTo(1);
    assertThat(r.out).startsWith(file + ":9:13: error [callee-exceeds-caller] shop.Front/Get can give shop.Orders/Get"
        + " at most 975ms (budget 1000ms - reserve 25ms), but shop.Orders/Get has a budget of 2000ms\n"
        + "    numbers: callerBudgetMs=1000 reserveMs=25 availableMs=975 calleeBudgetMs=2000\n"
        + "    fix: lower the budget of shop.Orders/Get to at most 975ms, or raise the budget of shop.Front/Get to at"
        + " least 2046ms\n");
    assertThat(r.out).endsWith("1 finding (1 error, 0 warnings; 2 services, 2 methods, 1 calls)\n");
  }

  @Test
  void jsonFormatCarriesTheNumbers() throws IOException {
    Result r = run("lint", write("fleet.yaml", BROKEN).toString(), "--format", "json");
    assertThat(r.exit).isEqualTo(1);
    JsonObject finding = JsonParser.parseString(r.out).getAsJsonObject().getAsJsonArray("findings").get(0)
        .getAsJsonObject();
    assertThat(finding.get("rule").getAsString()).isEqualTo("callee-exceeds-caller");
    assertThat(finding.get("line").getAsInt()).isEqualTo(9);
    assertThat(finding.get("column").getAsInt()).isEqualTo(13);
    assertThat(finding.getAsJsonObject("numbers").get("availableMs").getAsLong()).isEqualTo(975);
    assertThat(finding.get("fix").getAsString()).contains("2046ms");
  }

  @Test
  void sarifFormatIsSarif210WithRegions() throws IOException {
    Result r = run("lint", write("fleet.yaml", BROKEN).toString(), "--format", "SARIF");
    assertThat(r.exit).isEqualTo(1);
    JsonObject sarif = JsonParser.parseString(r.out).getAsJsonObject();
    assertThat(sarif.get("version").getAsString()).isEqualTo("2.1.0");
    JsonObject run = sarif.getAsJsonArray("runs").get(0).getAsJsonObject();
    assertThat(run.getAsJsonObject("tool").getAsJsonObject("driver").get("name").getAsString())
        .isEqualTo("reqctx-budgets");
    JsonObject result = run.getAsJsonArray("results").get(0).getAsJsonObject();
    assertThat(result.get("ruleId").getAsString()).isEqualTo("callee-exceeds-caller");
    assertThat(result.get("level").getAsString()).isEqualTo("error");
    JsonObject region = result.getAsJsonArray("locations").get(0).getAsJsonObject()
        .getAsJsonObject("physicalLocation").getAsJsonObject("region");
    assertThat(region.get("startLine").getAsInt()).isEqualTo(9);
    int index = result.get("ruleIndex").getAsInt();
    assertThat(run.getAsJsonObject("tool").getAsJsonObject("driver").getAsJsonArray("rules").get(index)
        .getAsJsonObject().get("id").getAsString()).isEqualTo("callee-exceeds-caller");
  }

  @Test
  void unreadableFileExitsTwoWithItsLine() throws IOException {
    Result r = run("lint", write("fleet.yaml", "fleet: t\nservices:\n  a:\n    tier: nope\n").toString());
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err).startsWith("error: " + dir.resolve("fleet.yaml") + ":4:11: tier 'nope' is not defined");
    assertThat(r.out).isEmpty();
  }

  @Test
  void missingFileAndBadUsageExitTwo() {
    Result missing = run("lint", dir.resolve("absent.yaml").toString());
    assertThat(missing.exit).isEqualTo(2);
    assertThat(missing.err).contains("absent.yaml: no such file");
    Result format = run("lint", "x.yaml", "--format", "xml");
    assertThat(format.exit).isEqualTo(2);
    assertThat(format.err).contains("'xml' is not a format; use text, json or sarif");
    assertThat(run().exit).isEqualTo(2);
  }

  @Test
  void exportWritesOneServiceConfigPerCallee() throws IOException {
    Path file = write("probe.yaml", resource("/fleets/probe.yaml"));
    Result single = run("export", file.toString(), "--grpc-service-config", "client", "--callee", "probe");
    assertThat(single.exit).as(single.err).isZero();
    JsonObject config = JsonParser.parseString(single.out).getAsJsonObject();
    assertThat(config.getAsJsonArray("methodConfig")).hasSize(3);

    Result all = run("export", file.toString(), "--grpc-service-config", "client");
    assertThat(JsonParser.parseString(all.out).getAsJsonObject().getAsJsonObject("probe")).isEqualTo(config);

    Path out = dir.resolve("configs");
    Result files = run("export", file.toString(), "--grpc-service-config", "client", "--out", out.toString());
    assertThat(files.exit).isZero();
    assertThat(JsonParser.parseString(Files.readString(out.resolve("client-to-probe.service-config.json"))))
        .isEqualTo(config);
  }

  @Test
  void fleetWithFindingsIsNotExportedUnlessAskedTo() throws IOException {
    Path file = write("fleet.yaml", BROKEN);
    Result refused = run("export", file.toString(), "--grpc-service-config", "front");
    assertThat(refused.exit).isEqualTo(1);
    assertThat(refused.err).contains("[callee-exceeds-caller]").contains("not exported");
    Result forced = run("export", file.toString(), "--grpc-service-config", "front", "--ignore-findings");
    assertThat(forced.exit).isZero();
    // what reqctx would send: 1000 ms - 25 ms reserve
    assertThat(forced.out).contains("\"timeout\": \"0.975000000s\"");
  }

  @Test
  void envoyRoutesOfTheSampleOrderService() throws IOException {
    Path file = write("sample.yaml", Files.readString(Path.of("../samples/src/main/resources/io/reqctx/samples/fleet.yaml")));
    Result r = run("export", file.toString(), "--envoy-routes", "order");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out).isEqualToIgnoringWhitespace("""
        {"name": "order-outbound", "virtual_hosts": [{"name": "inventory", "domains": ["inventory", "inventory:*"],
          "routes": [{"match": {"path": "/reqctx.samples.v1.InventoryService/CheckStock"},
                      "route": {"cluster": "inventory", "timeout": "2s"}}]}]}
        """);
  }

  @Test
  void envoyRoutesRefuseWhatEnvoyCannotExpress() throws IOException {
    Path file = write("probe.yaml", resource("/fleets/probe.yaml"));
    Result r = run("export", file.toString(), "--envoy-routes", "client");
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err).contains("Hedged").contains("hedges with a 50ms delay, which Envoy routes cannot express");
  }

  @Test
  void unknownClientServiceExitsTwo() throws IOException {
    Path file = write("probe.yaml", resource("/fleets/probe.yaml"));
    Result r = run("export", file.toString(), "--grpc-service-config", "nobody");
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err).contains("fleet 'probe' has no service 'nobody'; services: client, probe");
  }
}
