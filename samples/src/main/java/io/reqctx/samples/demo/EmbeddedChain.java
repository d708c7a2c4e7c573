package io.reqctx.samples.demo;

import io.opentelemetry.api.OpenTelemetry;
import io.reqctx.samples.chain.ChainMode;
import io.reqctx.samples.chain.HopLog;
import io.reqctx.samples.chain.Role;
import io.reqctx.samples.chain.Telemetry;
import io.reqctx.samples.chain.TierServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The four tiers in this JVM, each on its own loopback port, cache first so that each tier can point
 * at the one below it.
 *
 * <pre>{@code
 * try (EmbeddedChain chain = EmbeddedChain.start(ChainMode.REQCTX, telemetry, log)) {
 *   URI gateway = chain.gatewayUri();
 * }
 * }</pre>
 */
public final class EmbeddedChain implements AutoCloseable {
  private final List<TierServer> servers;

  private EmbeddedChain(List<TierServer> servers) {
    this.servers = servers;
  }

  /** Starts cache, inventory, order and gateway on free ports, all reporting their hops to {@code log}. */
  public static EmbeddedChain start(ChainMode mode, Telemetry telemetry, HopLog log) throws Exception {
    return start(mode, telemetry::forRole, log);
  }

  /** The same, each tier with the OpenTelemetry {@code openTelemetryFor} gives its role (e.g. one in-memory SDK for all). */
  public static EmbeddedChain start(ChainMode mode, Function<Role, OpenTelemetry> openTelemetryFor, HopLog log)
      throws Exception {
    List<TierServer> started = new ArrayList<>();
    try {
      String downstream = null;
      for (Role role : List.of(Role.CACHE, Role.INVENTORY, Role.ORDER, Role.GATEWAY)) {
        TierServer server = TierServer.start(role, 0, downstream, mode, openTelemetryFor.apply(role), log);
        started.add(0, server);
        downstream = server.target();
      }
      return new EmbeddedChain(started);
    } catch (Exception e) {
      new EmbeddedChain(started).close();
      throw e;
    }
  }

  /** The gateway's base URI, e.g. {@code http://127.0.0.1:40123}. */
  public URI gatewayUri() {
    return URI.create("http://" + servers.get(0).target());
  }

  /** Stops the tiers, gateway first. */
  @Override
  public void close() throws Exception {
    Exception failure = null;
    for (TierServer server : servers) {
      try {
        server.close();
      } catch (Exception e) {
        failure = e;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
