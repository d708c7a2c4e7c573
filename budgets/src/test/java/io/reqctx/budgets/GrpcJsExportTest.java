package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exported service config, loaded by grpc-js (Node) as its channel's service config, applied to
 * calls to a real grpc-java server on loopback. The test installs the client's locked dependencies
 * ({@code npm ci}) into {@code target/grpc-js-client}; without node and npm it fails and says what to install.
 */
class GrpcJsExportTest {
  private static final Path SOURCES = Path.of("src/test/node");
  private static final Path PROBE_PROTO = Path.of("src/test/proto/reqctx/budgets/test/v1/probe.proto");
  private static ProbeServer server;
  private static Path dir;

  @BeforeAll
  static void install() throws Exception {
    requireTool("node", "--version");
    requireTool("npm", "--version");
    dir = Path.of(System.getProperty("budgets.nodeDir", "target/grpc-js-client"));
    Files.createDirectories(dir);
    for (String file : List.of("package.json", "package-lock.json", "probe-client.js")) {
      Files.copy(SOURCES.resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    Files.copy(PROBE_PROTO, dir.resolve("probe.proto"), StandardCopyOption.REPLACE_EXISTING);
    Run npm = run(dir, 300, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
    if (npm.exit != 0) {
      fail("npm ci in " + dir + " failed (exit " + npm.exit + "); the npm registry must be reachable:\n" + npm.output);
    }
    server = new ProbeServer();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void grpcJsAppliesTheExportedTimeoutAndRetryPolicy() throws Exception {
    Fleet fleet = FleetFiles.parse("probe.yaml", TestFleets.resource("/fleets/probe.yaml"), List.of());
    Path config = dir.resolve("client-to-probe.service-config.json");
    Files.writeString(config, GrpcServiceConfigs.forClient(fleet, "client").get("probe"), StandardCharsets.UTF_8);

    Run client = run(dir, 120, "node", "probe-client.js", server.target(), "probe.proto", config.getFileName().toString());
    assertThat(client.exit).as(client.output).isZero();
    String last = client.output.strip().lines().reduce((a, b) -> b).orElse("");
    JsonObject result = JsonParser.parseString(last).getAsJsonObject();

    JsonObject hang = result.getAsJsonObject("hang");
    assertThat(hang.get("code").getAsString()).as(last).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(hang.get("elapsedMs").getAsDouble()).as("grpc-js never ends a call before its deadline")
        .isGreaterThanOrEqualTo(199.0);
    Long arrivedWith = server.deadlineMs.get("js-hang");
    if (arrivedWith != null) { // on a loaded machine the deadline may pass before the request is written
      assertThat(arrivedWith).as("grpc-timeout sent by grpc-js").isBetween(0L, 200L);
    }

    JsonObject flaky = result.getAsJsonObject("flaky");
    assertThat(flaky.get("code").getAsString()).as(last).isEqualTo("OK");
    assertThat(flaky.get("attempt").getAsInt()).isEqualTo(3);
    assertThat(server.requests.get("js-flaky")).hasValue(3);
    assertThat(server.deadlineMs.get("js-flaky")).as("the exported 1.5 s timeout").isBetween(0L, 1500L);
  }

  private record Run(int exit, String output) {}

  private static void requireTool(String tool, String versionFlag) {
    try {
      Run run = run(Path.of("."), 60, tool, versionFlag);
      if (run.exit != 0) {
        fail(tool + " " + versionFlag + " exited with " + run.exit + ": " + run.output + missing(tool));
      }
    } catch (IOException e) {
      fail(tool + " is not on the PATH (" + e.getMessage() + ")." + missing(tool));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
    }
  }

  private static String missing(String tool) {
    return " The grpc-js export test needs Node.js 18 or newer with npm: install them"
        + " (Debian/Ubuntu: apt-get install nodejs npm) and run the build again.";
  }

  /** Runs a command with a bound on its time; output and errors together. */
  private static Run run(Path dir, int timeoutSeconds, String... command) throws IOException, InterruptedException {
    File log = File.createTempFile("budgets-run", ".log");
    try {
      List<String> line = new ArrayList<>(List.of(command));
      Process process = new ProcessBuilder(line).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log).start();
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return new Run(-1, String.join(" ", command) + " took more than " + timeoutSeconds + " s:\n"
            + Files.readString(log.toPath()));
      }
      return new Run(process.exitValue(), Files.readString(log.toPath()));
    } finally {
      Files.deleteIfExists(log.toPath());
    }
  }
}
