package io.reqctx.bench;

import io.reqctx.internal.wire.RequestId;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.State;

/**
 * Prices the pieces of a scope's open + close that are candidates for removal, so that a suggested SDK
 * change comes with a number: the stack-trace-filling exception that {@code close()} allocates as its
 * cancellation cause, and the {@code String.format} behind a generated request id. Each is next to
 * the cheaper alternative it would be replaced with. Not part of the ratio tables.
 */
@State(org.openjdk.jmh.annotations.Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScopeCostParts {
  private static final CancellationException SHARED_CLOSED = stackless("reqctx: request scope closed");

  public String message = "reqctx: request scope closed";

  /** What CancellableCtxImpl.close() does today: a new CancellationException, stack trace filled. */
  @Benchmark
  public Object closeCauseWithStackTrace() {
    return new CancellationException(message);
  }

  /** The alternative: one preallocated, stackless cause shared by every normally closed scope. */
  @Benchmark
  public Object closeCauseShared() {
    return SHARED_CLOSED;
  }

  /** What CancellableCtx.Builder.open() does without a request id: String.format("%016x%016x", ...). */
  @Benchmark
  public String requestIdFormat() {
    return RequestId.generate();
  }

  /** The alternative: two Long.toHexString calls, zero-padded by hand. */
  @Benchmark
  public String requestIdHex() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] out = new char[32];
    hex(r.nextLong(), out, 0);
    hex(r.nextLong(), out, 16);
    return new String(out);
  }

  private static void hex(long v, char[] out, int at) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = Character.forDigit((int) (v & 0xF), 16);
      v >>>= 4;
    }
  }

  private static CancellationException stackless(String message) {
    CancellationException e = new CancellationException(message);
    e.setStackTrace(new StackTraceElement[0]);
    return e;
  }
}
