package io.reqctx.budgets.cli;

import io.reqctx.budgets.FleetFiles;
import io.reqctx.budgets.FleetLint;
import io.reqctx.budgets.LintReport;
import io.reqctx.budgets.ReportFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reqctx-budgets lint fleet.yaml [--format text|json|sarif] [--proto set.pb]...}. */
@Command(
    name = "lint",
    mixinStandardHelpOptions = true,
    description = "Checks the fleet's budgets, retries and call graph. Exit codes: 0 clean, 1 findings, 2 unreadable.")
final class LintCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "The budget file (YAML).")
  private Path file;

  @Option(names = "--format", paramLabel = "text|json|sarif", defaultValue = "text",
      converter = FormatConverter.class, description = "Output format (default: ${DEFAULT-VALUE}).")
  private ReportFormat format;

  @Option(names = "--proto", paramLabel = "DESCRIPTOR_SET",
      description = "A protoc descriptor set (--include_imports --include_source_info -o) whose"
          + " (reqctx.v1.budget) options join the file's; repeatable.")
  private List<Path> protos = new ArrayList<>();

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  LintCommand() {}

  @Override
  public Integer call() throws Exception {
    LintReport report = FleetLint.check(FleetFiles.read(file, protos));
    spec.commandLine().getOut().print(report.render(format));
    spec.commandLine().getOut().flush();
    return report.isClean() ? BudgetsCommand.CLEAN : BudgetsCommand.FINDINGS;
  }

  static final class FormatConverter implements CommandLine.ITypeConverter<ReportFormat> {
    @Override
    public ReportFormat convert(String value) {
      try {
        return ReportFormat.forName(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a format; use text, json or sarif");
      }
    }
  }
}
