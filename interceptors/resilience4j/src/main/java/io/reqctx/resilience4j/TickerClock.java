package io.reqctx.resilience4j;

import io.reqctx.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A {@link Clock} that moves with a {@link Ticker}, so that a circuit breaker's open-state wait runs on
 * the same (injectable) time as deadlines and backoffs.
 */
final class TickerClock extends Clock {
  private final Ticker ticker;
  private final Instant origin;
  private final long originNanos;

  TickerClock(Ticker ticker) {
    this.ticker = ticker;
    this.origin = Instant.now();
    this.originNanos = ticker.nanoTime();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this; // only instants matter to the breaker
  }

  @Override
  public Instant instant() {
    return origin.plusNanos(ticker.nanoTime() - originNanos);
  }

  @Override
  public long millis() {
    return instant().toEpochMilli();
  }
}
