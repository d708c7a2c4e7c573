package io.reqctx.samples;

import io.reqctx.samples.chain.ChainMode;
import io.reqctx.samples.chain.HopLog;
import io.reqctx.samples.chain.HopReport;
import io.reqctx.samples.chain.OrderView;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.chain.TierServer;
import io.reqctx.samples.proto.Hop;
import java.io.PrintWriter;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code serve}: runs one tier on {@code 127.0.0.1:<port>} pointing at its downstream, until the
 * process is stopped. Prints {@code reqctx-samples <role> listening on 127.0.0.1:<port>} once it
 * listens (after the lines saying where its metrics and, for the gateway, its waterfall pages are), then
 * one line per finished hop and one per finished trace part.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run one tier of the chain until stopped (SIGTERM / Ctrl-C).")
final class ServeCommand implements Callable<Integer> {

  @Spec
  @Nullable CommandSpec spec;

  @Option(names = "--role", required = true, paramLabel = "<role>", converter = RoleConverter.class,
      description = "gateway, order, inventory or cache.")
  @Nullable Role role;

  @Option(names = "--port", required = true, paramLabel = "<port>", description = "Port on 127.0.0.1 (0: any free port).")
  int port;

  @Option(names = "--downstream", paramLabel = "<host:port>",
      description = "The tier below (gateway -> order -> inventory -> cache); not for the cache.")
  @Nullable String downstream;

  @Option(names = {"--otlp", "--otlp-endpoint"}, paramLabel = "<url>",
      description = "Also export spans over OTLP/HTTP, e.g. http://localhost:4318/v1/traces.")
  @Nullable URI otlpEndpoint;

  @Option(names = "--zipkin", paramLabel = "<url>",
      description = "Also export spans to a Zipkin server, e.g. http://127.0.0.1:9411 (or its /api/v2/spans URL).")
  @Nullable URI zipkin;

  @Option(names = "--metrics-port", paramLabel = "<port>",
      description = "Serve reqctx's and the JVM's metrics at http://127.0.0.1:<port>/metrics (Prometheus text; 0: any free port).")
  @Nullable Integer metricsPort;

  @Option(names = "--static-timeouts",
      description = "Run without reqctx, with a static 2 s timeout per call (the baseline).")
  boolean staticTimeouts;

  @Option(names = "--otel-tracing-only",
      description = "Run without reqctx, with a static 2 s timeout per call and OpenTelemetry tracing on every hop "
          + "(the baseline that traces as much as reqctx does).")
  boolean otelTracingOnly;

  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    if (spec == null || role == null) {
      throw new IllegalStateException("run through picocli's CommandLine");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (staticTimeouts && otelTracingOnly) {
      throw new ParameterException(spec.commandLine(),
          "--static-timeouts and --otel-tracing-only are two different baselines: give one");
    }
    ChainMode mode = otelTracingOnly ? ChainMode.OTEL_TRACING_ONLY
        : staticTimeouts ? ChainMode.STATIC_TIMEOUTS : ChainMode.REQCTX;
    HopLog log = new HopLog(report -> print(out, report));
    // The JVM halts once its shutdown hooks return: the hook waits until the server and the span
    // exporter are closed, so spans still buffered are flushed on SIGTERM.
    Thread hook = new Thread(() -> {
      stopped.countDown();
      awaitQuietly(closed);
    }, "reqctx-samples-shutdown");
    Telemetry.Exporters exporters = new Telemetry.Exporters(
        otlpEndpoint, zipkin == null ? null : Telemetry.Exporters.zipkinSpans(zipkin), metricsPort);
    try (Telemetry telemetry = Telemetry.create(exporters, line -> println(out, line));
        TierServer server = TierServer.start(role, port, downstream, mode, telemetry.forRole(role), log)) {
      Runtime.getRuntime().addShutdownHook(hook);
      if (metricsPort != null) {
        println(out, "reqctx-samples " + role.cliName() + " metrics on http://127.0.0.1:" + telemetry.metricsPort() + "/metrics");
      }
      if (role == Role.GATEWAY) {
        println(out, "reqctx-samples gateway waterfalls on http://" + server.target() + "/waterfalls");
      }
      println(out, "reqctx-samples " + role.cliName() + " listening on " + server.target());
      stopped.await();
    } finally {
      closed.countDown();
      removeHook(hook);
    }
    return 0;
  }

  /** Stops a running {@link #call()} as SIGTERM does. */
  void stop() {
    stopped.countDown();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException | IllegalArgumentException alreadyShuttingDownOrNeverAdded) {
      // nothing to remove
    }
  }

  private static void println(PrintWriter out, String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  private static void print(PrintWriter out, HopReport report) {
    Hop hop = report.hop();
    println(out, String.format(Locale.ROOT,
        "hop %s request=%s trace=%s received=%dms sent=%dms elapsed=%dms outcome=%s%s",
        report.role().cliName(), report.requestId().isEmpty() ? "-" : report.requestId(),
        hop.getTraceId().isEmpty() ? "-" : hop.getTraceId(), hop.getReceivedBudgetMs(), hop.getSentBudgetMs(),
        hop.getElapsedMs(), OrderView.HopView.outcomeName(hop), hop.getNote().isEmpty() ? "" : " note=\"" + hop.getNote() + "\""));
  }

  /** Reads a role by its command-line name. */
  static final class RoleConverter implements picocli.CommandLine.ITypeConverter<Role> {
    @Override
    public Role convert(String value) {
      return Role.forName(value);
    }
  }
}
