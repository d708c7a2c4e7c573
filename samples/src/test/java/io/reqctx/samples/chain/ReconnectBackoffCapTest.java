package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.reqctx.testing.FakeTicker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A channel whose peer is down, watched by {@link ReconnectBackoffCap} on a fake ticker: every tick
 * of the cap makes it try again at once. grpc-java alone waits 1, 1.6, 2.6, 4.1, 6.6, 10.5 ... s
 * between attempts (20 % jitter), so the sixth attempt would come more than 5 s after the fifth.
 */
class ReconnectBackoffCapTest {
  private static final Duration BOUND = Duration.ofSeconds(5);

  @Test
  void aChannelWaitingOutItsBackoffTriesAgainAtEveryTickOfTheCap() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    // A peer that accepts and hangs up at once: each connection attempt fails, and is counted.
    try (ServerSocket peer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        while (!peer.isClosed()) {
          try (Socket s = peer.accept()) {
            attempts.incrementAndGet();
          } catch (IOException closed) {
            return;
          }
        }
      }, "hang-up-peer");
      acceptor.setDaemon(true);
      acceptor.start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", peer.getLocalPort()).usePlaintext().build();
      FakeTicker ticker = new FakeTicker();
      try (ReconnectBackoffCap cap = ReconnectBackoffCap.watch(channel, Duration.ofSeconds(1), ticker)) {
        channel.getState(true);
        await().atMost(BOUND).until(() -> attempts.get() >= 1);

        for (int tick = 1; tick <= 8; tick++) {
          int before = attempts.get();
          await().atMost(BOUND).until(() -> channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE);
          ticker.advance(Duration.ofSeconds(1));
          await("an attempt after tick " + tick).atMost(BOUND).until(() -> attempts.get() > before);
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertThat(attempts.get()).isGreaterThanOrEqualTo(9);
    }
  }

  @Test
  void aClosedWatchStopsTicking() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", 9).usePlaintext().build();
    FakeTicker ticker = new FakeTicker();
    try {
      ReconnectBackoffCap cap = ReconnectBackoffCap.watch(channel, Duration.ofSeconds(1), ticker);
      assertThat(ticker.pendingAlarms()).isEqualTo(1);
      cap.close();
      assertThat(ticker.pendingAlarms()).isZero();
    } finally {
      channel.shutdownNow();
    }
  }
}
