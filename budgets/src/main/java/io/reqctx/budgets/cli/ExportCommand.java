package io.reqctx.budgets.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.reqctx.budgets.EnvoyRoutes;
import io.reqctx.budgets.Fleet;
import io.reqctx.budgets.FleetFiles;
import io.reqctx.budgets.FleetLint;
import io.reqctx.budgets.GrpcServiceConfigs;
import io.reqctx.budgets.LintReport;
import io.reqctx.budgets.ReportFormat;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reqctx-budgets export fleet.yaml --grpc-service-config CLIENT [--callee SERVICE] [--out DIR]} and
 * {@code ... --envoy-routes CLIENT}. A fleet with lint findings is not exported unless
 * {@code --ignore-findings} is given: the exported numbers are meant to be the checked ones.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = "Writes the gRPC service config JSON of each service a client calls, or its Envoy routes."
        + " Exit codes: 0 written, 1 the fleet has lint findings, 2 unreadable input or bad usage.")
final class ExportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "The budget file (YAML).")
  private Path file;

  @ArgGroup(exclusive = true, multiplicity = "1")
  private Target target;

  static final class Target {
    @Option(names = "--grpc-service-config", paramLabel = "CLIENT",
        description = "The fleet service whose clients get the service configs (one per callee service).")
    @Nullable String grpcClient;

    @Option(names = "--envoy-routes", paramLabel = "CLIENT",
        description = "The fleet service whose outbound Envoy routes to write (one RouteConfiguration).")
    @Nullable String envoyClient;
  }

  @Option(names = "--callee", paramLabel = "SERVICE",
      description = "With --grpc-service-config: only the config for this callee service, written as it is.")
  private @Nullable String callee;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Write files into DIR (<client>-to-<callee>.service-config.json or <client>.envoy-routes.json)"
          + " instead of standard output.")
  private @Nullable Path out;

  @Option(names = "--proto", paramLabel = "DESCRIPTOR_SET", description = "A protoc descriptor set; repeatable.")
  private List<Path> protos = new ArrayList<>();

  @Option(names = "--ignore-findings", description = "Export even when the fleet has lint findings.")
  private boolean ignoreFindings;

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  ExportCommand() {}

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter stderr = spec.commandLine().getErr();
    Fleet fleet = FleetFiles.read(file, protos);
    LintReport report = FleetLint.check(fleet);
    if (!report.isClean() && !ignoreFindings) {
      stderr.print(report.render(ReportFormat.TEXT));
      stderr.println("not exported: fix the findings (the exported numbers must be the checked ones),"
          + " or pass --ignore-findings");
      return BudgetsCommand.FINDINGS;
    }
    if (target.envoyClient != null) {
      if (callee != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--callee goes with --grpc-service-config only");
      }
      String routes = EnvoyRoutes.forClient(fleet, target.envoyClient);
      write(stdout, stderr, target.envoyClient + ".envoy-routes.json", routes);
      return BudgetsCommand.CLEAN;
    }
    String client = target.grpcClient;
    Map<String, String> configs = GrpcServiceConfigs.forClient(fleet, client);
    if (callee != null) {
      String config = configs.get(callee);
      if (config == null) {
        throw new IllegalArgumentException("'" + client + "' calls no gRPC method of '" + callee + "'; it calls: "
            + (configs.isEmpty() ? "no gRPC service" : String.join(", ", configs.keySet())));
      }
      write(stdout, stderr, client + "-to-" + callee + ".service-config.json", config);
      return BudgetsCommand.CLEAN;
    }
    if (out != null) {
      for (Map.Entry<String, String> config : configs.entrySet()) {
        write(stdout, stderr, client + "-to-" + config.getKey() + ".service-config.json", config.getValue());
      }
      if (configs.isEmpty()) {
        stderr.println("'" + client + "' calls no gRPC method: nothing written");
      }
      return BudgetsCommand.CLEAN;
    }
    // Standard output: one JSON object, callee service -> its service config.
    JsonObject all = new JsonObject();
    for (Map.Entry<String, String> config : configs.entrySet()) {
      all.add(config.getKey(), JsonParser.parseString(config.getValue()));
    }
    stdout.print(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(all) + "\n");
    stdout.flush();
    return BudgetsCommand.CLEAN;
  }

  private void write(PrintWriter stdout, PrintWriter stderr, String name, String content) throws java.io.IOException {
    if (out == null) {
      stdout.print(content);
      stdout.flush();
      return;
    }
    Files.createDirectories(out);
    Path path = out.resolve(name);
    Files.writeString(path, content, StandardCharsets.UTF_8);
    stderr.println("wrote " + path);
    stderr.flush();
  }
}
