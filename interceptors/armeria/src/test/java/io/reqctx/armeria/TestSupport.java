package io.reqctx.armeria;

import com.linecorp.armeria.client.WebClient;

/** Armeria-side test helpers; gRPC test services come from the gRPC module's {@code TestRpc}. */
final class TestSupport {
  private TestSupport() {}

  /** A plain WebClient (no reqctx) standing for an outside caller. */
  static WebClient outsideClient(int port) {
    return WebClient.builder("http://127.0.0.1:" + port).build();
  }
}
