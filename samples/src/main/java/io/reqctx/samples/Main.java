package io.reqctx.samples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line of {@code reqctx-samples.jar}.
 *
 * <pre>{@code
 * java -jar samples/target/reqctx-samples.jar demo [--scenario slow-cache]
 * java -jar samples/target/reqctx-samples.jar serve --role order --port 7002 --downstream 127.0.0.1:7003
 * java -jar samples/target/reqctx-samples.jar soak --requests 100000 --concurrency 32
 * }</pre>
 */
@Command(
    name = "reqctx-samples",
    mixinStandardHelpOptions = true,
    version = "reqctx-samples 0.1.0",
    description = "The reqctx demo chain: gateway (HTTP) -> order -> inventory -> cache (gRPC).",
    subcommands = {DemoCommand.class, ServeCommand.class, SoakCommand.class, CommandLine.HelpCommand.class})
public final class Main {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line, for running a command in-process. */
  static CommandLine commandLine() {
    return new CommandLine(new Main());
  }
}
