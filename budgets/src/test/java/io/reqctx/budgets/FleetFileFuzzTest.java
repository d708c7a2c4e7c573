package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import java.util.List;

/**
 * Fuzz test for budget files: any text is either a fleet (which lints and renders in every format) or a
 * {@link FleetFormatException} with a location, never another exception. Inputs in
 * {@code FleetFileFuzzTestInputs/parseAndLint/}.
 */
class FleetFileFuzzTest {

  @FuzzTest
  void parseAndLint(@NotNull String text) {
    Fleet fleet;
    try {
      fleet = FleetFiles.parse("fuzz.yaml", text, List.of());
    } catch (FleetFormatException e) {
      assertThat(e.getMessage()).startsWith("fuzz.yaml");
      return;
    }
    LintReport report = FleetLint.check(fleet);
    for (ReportFormat format : ReportFormat.values()) {
      assertThat(report.render(format)).isNotEmpty();
    }
    for (String service : fleet.services().keySet()) {
      GrpcServiceConfigs.forClient(fleet, service);
    }
  }
}
