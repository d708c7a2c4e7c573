package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A tier of the sample chain served by a reference service in another language ({@code
 * samples/polyglot/}), run as a child process on a free loopback port: the Node inventory, or the Python
 * inventory or cache. It reads its numbers from the files {@link PolyglotExport} writes and prints one
 * {@code reqctx-hop {json}} line per finished hop, which this class hands to the {@link HopLog} like a
 * Java tier's report (the monotonic times line up: the JVM, Node and Python all read {@code
 * CLOCK_MONOTONIC} on Linux).
 *
 * <pre>{@code
 * Path config = PolyglotExport.write(Files.createTempDirectory("polyglot"));
 * try (ForeignTier cache = ForeignTier.start(ForeignTier.Language.PYTHON, Role.CACHE, null, polyglotDir, config, log)) {
 *   String target = cache.target();
 * }
 * }</pre>
 */
public final class ForeignTier implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOP_LINE = "reqctx-hop ";
  private static final long START_SECONDS = 60;

  /** The language of a reference service and how to run it. */
  public enum Language {
    /** {@code samples/polyglot/node/inventory.js} on Node with {@code @grpc/grpc-js}. */
    NODE,
    /** {@code samples/polyglot/python/service.py} on Debian's python3 with python3-grpcio. */
    PYTHON;

    /** The Debian interpreter: the one that has python3-grpcio (a pyenv python3 on the PATH does not). */
    static final String PYTHON3 = "/usr/bin/python3";

    /** {@code "node"} or {@code "python"}. */
    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }

    List<String> command(Role role, Path polyglotDir) {
      return switch (this) {
        case NODE -> {
          if (role != Role.INVENTORY) {
            throw new IllegalArgumentException("the Node reference service plays the inventory only, not " + role.cliName());
          }
          yield List.of("node", polyglotDir.resolve("node/inventory.js").toString());
        }
        case PYTHON -> List.of(PYTHON3, polyglotDir.resolve("python/service.py").toString(), "--role", role.cliName());
      };
    }
  }

  /**
   * The W3C trace headers one foreign hop saw and sent, to check that it kept the trace id and gave each
   * outbound call a fresh parent-id.
   *
   * @param role the tier
   * @param traceparentIn the {@code traceparent} that arrived (empty when none was valid)
   * @param traceparentsOut the {@code traceparent} of each outbound call, in order
   */
  public record TraceHeaders(Role role, String traceparentIn, List<String> traceparentsOut) {}

  private final Role role;
  private final Language language;
  private final Process process;
  private final int port;
  private final Map<String, List<TraceHeaders>> traces;

  private ForeignTier(Role role, Language language, Process process, int port, Map<String, List<TraceHeaders>> traces) {
    this.role = role;
    this.language = language;
    this.process = process;
    this.port = port;
    this.traces = traces;
  }

  /**
   * What is missing to run {@code language}'s service from {@code polyglotDir}, with the command that
   * installs it, or empty when it can run.
   */
  public static Optional<String> missing(Language language, Path polyglotDir) {
    String install = "run " + polyglotDir.resolve("install.sh") + " (npm ci; apt-get install python3-grpcio where missing)";
    if (!Files.isDirectory(polyglotDir)) {
      return Optional.of("no reference services at " + polyglotDir.toAbsolutePath()
          + ": run from the repository root or set -Dreqctx.samples.polyglotDir=<path to samples/polyglot>");
    }
    return switch (language) {
      case NODE -> !works("node", "--version") ? Optional.of("node is not on the PATH: install Node.js 18 or newer; " + install)
          : !Files.isDirectory(polyglotDir.resolve("node/node_modules/@grpc/grpc-js"))
              ? Optional.of("@grpc/grpc-js is not installed in " + polyglotDir.resolve("node") + ": " + install)
              : Optional.empty();
      case PYTHON -> works(Language.PYTHON3, "-c", "import grpc, google.protobuf") ? Optional.empty()
          : Optional.of(Language.PYTHON3 + " cannot import grpc (Debian's python3-grpcio): " + install);
    };
  }

  /**
   * Starts {@code language}'s service as {@code role} on a free port of 127.0.0.1 and waits until it
   * listens.
   *
   * @param downstream {@code host:port} of the tier below, for the inventory; null for the cache
   * @param configDir the directory {@link PolyglotExport#write} filled
   * @throws IOException when the process cannot start or does not listen within a minute
   */
  public static ForeignTier start(Language language, Role role, @Nullable String downstream, Path polyglotDir,
      Path configDir, HopLog log) throws IOException, InterruptedException {
    requireNonNull(language, "language");
    requireNonNull(log, "log");
    List<String> command = new ArrayList<>(language.command(role, polyglotDir));
    command.addAll(List.of("--port", "0", "--config", configDir.toString(),
        "--protos", configDir.resolve(PolyglotExport.DESCRIPTOR_SET).toString()));
    if (downstream != null) {
      command.addAll(List.of("--downstream", downstream));
    }
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Map<String, List<TraceHeaders>> traces = new ConcurrentHashMap<>();
    AtomicInteger port = new AtomicInteger(-1);
    CountDownLatch listening = new CountDownLatch(1);
    Thread reader = new Thread(() -> read(process, role, log, traces, port, listening),
        "reqctx-samples-" + language.cliName() + "-" + role.cliName());
    reader.setDaemon(true);
    reader.start();
    if (!listening.await(START_SECONDS, TimeUnit.SECONDS) || port.get() < 0) {
      process.destroyForcibly();
      throw new IOException("the " + language.cliName() + " " + role.cliName() + " (" + String.join(" ", command)
          + ") did not print its listening line within " + START_SECONDS + " s"
          + (process.isAlive() ? "" : "; it exited with " + process.waitFor()));
    }
    return new ForeignTier(role, language, process, port.get(), traces);
  }

  private static void read(Process process, Role role, HopLog log, Map<String, List<TraceHeaders>> traces,
      AtomicInteger port, CountDownLatch listening) {
    String listeningPrefix = "reqctx-samples " + role.cliName() + " listening on 127.0.0.1:";
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith(listeningPrefix)) {
          port.set(Integer.parseInt(line.substring(listeningPrefix.length()).strip()));
          listening.countDown();
        } else if (line.startsWith(HOP_LINE)) {
          JsonNode report = JSON.readTree(line.substring(HOP_LINE.length()));
          List<String> out2 = new ArrayList<>();
          report.path("traceparentsOut").forEach(t -> out2.add(t.asText()));
          String requestId = report.path("requestId").asText();
          traces.computeIfAbsent(requestId, id -> new CopyOnWriteArrayList<>())
              .add(new TraceHeaders(role, report.path("traceparentIn").asText(), List.copyOf(out2)));
          log.report(toReport(role, requestId, report));
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("reqctx-samples: cannot read the " + role.cliName() + " process's output: " + e);
    } finally {
      listening.countDown();
    }
  }

  private static HopReport toReport(Role role, String requestId, JsonNode report) {
    JsonNode hop = report.path("hop");
    Hop row = Hop.newBuilder()
        .setService(hop.path("service").asText())
        .setTier(hop.path("tier").asText())
        .setCapMs(hop.path("cap_ms").asInt())
        .setReceivedBudgetMs(hop.path("received_budget_ms").asInt())
        .setSentBudgetMs(hop.path("sent_budget_ms").asInt())
        .setElapsedMs(hop.path("elapsed_ms").asInt())
        .setOutcome(HopOutcome.valueOf(hop.path("outcome").asText()))
        .setTraceId(hop.path("trace_id").asText())
        .setNote(hop.path("note").asText())
        .build();
    JsonNode seen = report.path("cancelSeenNanos");
    return new HopReport(role, requestId, row, Long.parseLong(report.path("startNanos").asText()),
        Long.parseLong(report.path("endNanos").asText()),
        seen.isNull() || seen.isMissingNode() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(seen.asText())),
        report.path("skippedSteps").asInt());
  }

  /** The trace headers this tier reported for {@code requestId}, one entry per hop. */
  public List<TraceHeaders> traceHeaders(String requestId) {
    return List.copyOf(traces.getOrDefault(requestId, List.of()));
  }

  /** The role it plays. */
  public Role role() {
    return role;
  }

  /** The language it is written in. */
  public Language language() {
    return language;
  }

  /** {@code 127.0.0.1:<port>}. */
  public String target() {
    return "127.0.0.1:" + port;
  }

  /** Stops the process (SIGTERM, then SIGKILL after 5 s). */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  private static boolean works(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
