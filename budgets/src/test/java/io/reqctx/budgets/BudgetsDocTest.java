package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** docs/BUDGETS.md shows what the code does: its examples are checked against the code. */
class BudgetsDocTest {
  private static String doc;

  @BeforeAll
  static void read() throws IOException {
    doc = Files.readString(Path.of("../docs/BUDGETS.md"));
  }

  /** The body of the first fenced block of {@code language} after {@code heading}. */
  private static String block(String heading, String language) {
    int at = doc.indexOf(heading);
    assertThat(at).as("heading %s", heading).isNotNegative();
    int start = doc.indexOf("```" + language + "\n", at) + language.length() + 4;
    return doc.substring(start, doc.indexOf("\n```", start) + 1);
  }

  @Test
  void misalignedExampleHasExactlyTheFindingsShown() {
    String yaml = block("### A misaligned fleet", "yaml");
    String shown = block("### A misaligned fleet", "text");
    LintReport report = FleetLint.check(FleetFiles.parse("misaligned-fleet.yaml", yaml, List.of()));
    assertThat(report.render(ReportFormat.TEXT)).isEqualTo(shown);
    assertThat(report.findings()).extracting(Finding::rule).contains(Rule.CALLEE_EXCEEDS_CALLER,
        Rule.SEQUENCE_EXCEEDS_BUDGET, Rule.RETRY_CANNOT_FIT, Rule.RETRY_AMPLIFICATION, Rule.TIER_ORDER,
        Rule.CALL_CYCLE, Rule.MISSING_BUDGET, Rule.STREAMING_WITHOUT_LONG_LIVED);
  }

  @Test
  void sampleFleetShownIsTheSampleFleetFile() {
    assertThat(block("### Complete example: the sample fleet", "yaml"))
        .isEqualTo(TestFleets.sampleFleet());
  }

  @Test
  void exportShownIsWhatTheProbeFleetExports() {
    Fleet probe = FleetFiles.parse("probe.yaml", TestFleets.resource("/fleets/probe.yaml"), List.of());
    assertThat(block("### gRPC service config", "json"))
        .isEqualTo(GrpcServiceConfigs.forClient(probe, "client").get("probe"));
  }
}
