package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.reqctx.Ticker;
import java.time.Duration;

/**
 * Caps how long a channel waits before it tries to reconnect to a peer that went away. grpc-java
 * backs off exponentially between connection attempts (1 s, then ×1.6 up to 120 s, with jitter) and
 * its builders offer no setting for it: after a tier was down for a minute, the channel to it waited
 * up to two minutes more before it noticed the tier was back (98 s in a soak). This watch looks at
 * the channel every {@code cap} and, when it is in {@code TRANSIENT_FAILURE} (waiting out a backoff),
 * ends the wait with {@link ManagedChannel#resetConnectBackoff()}: the channel tries again at once,
 * so a restarted peer is found within about {@code cap}. A peer that stays down costs one connection
 * attempt per {@code cap}.
 *
 * <pre>{@code
 * ReconnectBackoffCap watch = ReconnectBackoffCap.watch(channel, Duration.ofSeconds(1), Ticker.system());
 * ...
 * watch.close();
 * }</pre>
 */
public final class ReconnectBackoffCap implements AutoCloseable {
  private final ManagedChannel channel;
  private final long capNanos;
  private final Ticker ticker;
  private volatile boolean closed;
  private volatile Ticker.Alarm alarm;

  private ReconnectBackoffCap(ManagedChannel channel, Duration cap, Ticker ticker) {
    this.channel = channel;
    this.capNanos = cap.toNanos();
    this.ticker = ticker;
    this.alarm = ticker.schedule(this::check, capNanos);
  }

  /** Starts watching {@code channel} on {@code ticker} until closed (or the channel shuts down). */
  public static ReconnectBackoffCap watch(ManagedChannel channel, Duration cap, Ticker ticker) {
    requireNonNull(channel, "channel");
    requireNonNull(cap, "cap");
    requireNonNull(ticker, "ticker");
    if (cap.isNegative() || cap.isZero()) {
      throw new IllegalArgumentException("the reconnect cap must be positive, got " + cap.toMillis() + "ms");
    }
    return new ReconnectBackoffCap(channel, cap, ticker);
  }

  private void check() {
    if (closed || channel.isShutdown()) {
      return;
    }
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
    alarm = ticker.schedule(this::check, capNanos);
    if (closed) {
      alarm.cancel();
    }
  }

  /** Stops watching. Idempotent. */
  @Override
  public void close() {
    closed = true;
    alarm.cancel();
  }
}
