package io.reqctx.budgets.cli;

import static java.util.Objects.requireNonNull;

import io.reqctx.budgets.FleetFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code reqctx-budgets} command: {@code lint} a budget file, {@code export} gRPC service configs or
 * Envoy routes from it. Exit codes: 0 clean (or exported), 1 findings, 2 unreadable input or bad usage.
 *
 * <pre>{@code
 * java -jar reqctx-budgets-<version>-cli.jar lint fleet.yaml --format sarif > budgets.sarif
 * java -jar reqctx-budgets-<version>-cli.jar export fleet.yaml --grpc-service-config order --out build/service-configs
 * int exit = BudgetsCommand.run(new String[] {"lint", "fleet.yaml"}, out, err);   // in-process
 * }</pre>
 */
@Command(
    name = "reqctx-budgets",
    mixinStandardHelpOptions = true,
    versionProvider = BudgetsCommand.Version.class,
    description = "Lints a fleet budget file across its call graph and exports it as gRPC service configs"
        + " or Envoy routes. Exit codes: 0 clean, 1 findings, 2 unreadable input or bad usage.",
    subcommands = {LintCommand.class, ExportCommand.class})
public final class BudgetsCommand implements Runnable {
  /** Exit code: nothing found, or the export was written. */
  public static final int CLEAN = 0;
  /** Exit code: the lint found something. */
  public static final int FINDINGS = 1;
  /** Exit code: the input could not be read, or the command line is wrong. */
  public static final int UNREADABLE = 2;

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  BudgetsCommand() {}

  /** Runs the command and exits the JVM with its exit code. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, out, err));
  }

  /** Runs the command with {@code args}, writing to {@code out} and {@code err}; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    requireNonNull(args, "args");
    CommandLine commandLine = new CommandLine(new BudgetsCommand())
        .setOut(requireNonNull(out, "out"))
        .setErr(requireNonNull(err, "err"))
        .setExitCodeExceptionMapper(e -> UNREADABLE)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println(describe(e));
          cmd.getErr().flush();
          return UNREADABLE;
        });
    int code = commandLine.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  private static String describe(Exception e) {
    if (e instanceof FleetFormatException) {
      return "error: " + e.getMessage();
    }
    if (e instanceof IOException) {
      return "error: cannot read " + e.getMessage();
    }
    if (e instanceof IllegalArgumentException) {
      return "error: " + e.getMessage();
    }
    return "error: " + e;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command: lint or export");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = BudgetsCommand.class.getPackage().getImplementationVersion();
      return new String[] {"reqctx-budgets " + (version == null ? "(development build)" : version)};
    }
  }
}
