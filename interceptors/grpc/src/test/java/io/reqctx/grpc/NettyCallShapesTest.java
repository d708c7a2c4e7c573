package io.reqctx.grpc;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.reqctx.Tier;
import io.reqctx.testing.StrictLeakExtension;
import io.reqctx.transport.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link CallShapesContract} on a grpc-java Netty server. */
@ExtendWith(StrictLeakExtension.class)
class NettyCallShapesTest extends CallShapesContract {
  private static final Tier TIER = Tier.define("shapes-netty", 150, CAP);
  private Server server;
  private ManagedChannel channel;

  @Override
  protected Tier tier() {
    return TIER;
  }

  @Override
  protected ServerInterceptor reqctxInterceptor(ServerConfig config) {
    return RequestCtxServerInterceptor.create(config);
  }

  @Override
  protected Channel startServer(List<ServerServiceDefinition> services) {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addStreamTracerFactory(RequestCtxServerInterceptor.malformedTimeoutFilter());
    services.forEach(builder::addService);
    try {
      server = builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = TestRpc.channelTo(server);
    return channel;
  }

  @Override
  protected void stopServer() throws Exception {
    TestRpc.shutdown(List.of(channel, server));
  }
}
