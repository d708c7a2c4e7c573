package io.reqctx.samples.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short soak CI runs: {@code reqctx-samples soak} in a JVM of its own (so that its heap, thread
 * and file-descriptor counts are its own), with chaos, client cancels, a stalled cache and a killed
 * inventory, and its verdict asserted. README's long soak runs the same command with 100 000 requests.
 */
class SoakTest {
  static final List<String> SHORT_SOAK = List.of("soak", "--requests", "500", "--concurrency", "32",
      "--warmup", "100", "--stall-ms", "1000", "--down-ms", "1500");

  @Test
  void aShortSoakUnderChaosAnswersEveryRequestExplainsEveryStatusLeaksNothingAndReturnsItsResources(@TempDir Path dir)
      throws Exception {
    Path output = dir.resolve("soak.out");
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dreqctx.leaks=always", // every scope, task and attach is watched, with its creation site
        "-cp", System.getProperty("java.class.path"),
        "io.reqctx.samples.Main"));
    command.addAll(SHORT_SOAK);
    Process soak = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    boolean ended = soak.waitFor(4, TimeUnit.MINUTES);
    if (!ended) {
      soak.destroyForcibly();
    }
    String printed = read(output);

    assertThat(ended).as("the soak ended within 4 minutes:%n%s", printed).isTrue();
    assertThat(soak.exitValue()).as(printed).isZero();
    assertThat(printed).contains("VERDICT PASS");
    Map<String, String> result = resultLine(printed);
    assertThat(result).as(printed)
        .containsEntry("passed", "true")
        .containsEntry("requests", "500")
        .containsEntry("unexplained", "0")
        .containsEntry("noAnswer", "0")
        .containsEntry("scopesOpen", "0")
        .containsEntry("leakedScopes", "0")
        .containsEntry("orphanedTasks", "0")
        .containsEntry("valueLeaks", "0");
    // The mix and the chaos really happened: answers of every kind, and faults injected at every tier.
    assertThat(Long.parseLong(result.get("ok"))).as(printed).isPositive();
    assertThat(Long.parseLong(result.get("degraded"))).as(printed).isPositive();
    assertThat(Long.parseLong(result.get("deadline504"))).as(printed).isPositive();
    assertThat(Long.parseLong(result.get("clientCancelled"))).as(printed).isPositive();
    assertThat(Long.parseLong(result.get("tierDown502"))).as(printed).isPositive();
    assertThat(printed).contains("cancel_storm/server").contains("deadline_skew/server").contains("latency/server")
        .contains("value_leak/server").contains("drill: cache stalled").contains("drill: inventory killed");
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(no output)";
  }

  private static Map<String, String> resultLine(String printed) {
    Map<String, String> fields = new LinkedHashMap<>();
    printed.lines().filter(l -> l.startsWith("soak-result ")).findFirst().ifPresent(line -> {
      for (String field : line.substring("soak-result ".length()).split(" ")) {
        int eq = field.indexOf('=');
        fields.put(field.substring(0, eq), field.substring(eq + 1));
      }
    });
    return fields;
  }
}
