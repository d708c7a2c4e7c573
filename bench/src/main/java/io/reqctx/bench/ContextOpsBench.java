package io.reqctx.bench;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.reqctx.CtxKey;
import io.reqctx.RequestCtx;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import io.reqctx.bench.proto.ProtoCtx;
import io.reqctx.bench.proto.ProtoKey;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Per-operation cost of a context holding {@code keys} values, for reqctx ({@code _reqctx}),
 * io.grpc.Context ({@code _grpc}) and OpenTelemetry's Context ({@code _otel}), all in one run so that
 * the ratios compare like with like. Method names are {@code <operation>_<library>}; {@code
 * docs/BENCHMARKS.md} divides the reqctx score by each baseline's.
 *
 * <p>Every context, key and value lives in a {@code @State} field (never a constant the JIT could
 * fold), and every result is returned or sunk into a {@link Blackhole}.
 */
@State(org.openjdk.jmh.annotations.Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ContextOpsBench {

  @Param({"2", "8", "32"})
  public int keys;

  // reqctx: a ctx of a real scope (as a request handler sees it), plus `keys` values.
  private CancellableCtx scope;
  private RequestCtx reqctx;
  private CtxKey<Object> reqLast;
  private CtxKey<Object> reqMissing;
  private CtxKey<Object> reqExtra;

  private io.grpc.Context grpc;
  private io.grpc.Context.Key<Object> grpcLast;
  private io.grpc.Context.Key<Object> grpcMissing;
  private io.grpc.Context.Key<Object> grpcExtra;

  private Context otel;
  private ContextKey<Object> otelLast;
  private ContextKey<Object> otelMissing;
  private ContextKey<Object> otelExtra;

  // A prototype of a CtxImpl layout change (see io.reqctx.bench.proto); `_proto` methods, not reqctx.
  private ProtoCtx proto;
  private ProtoKey<Object> protoLast;
  private ProtoKey<Object> protoMissing;
  private ProtoKey<Object> protoExtra;

  private Object extraValue;
  // What a ctx could hand to OpenTelemetry if it cached Context.current().with(ctx) per parent context.
  private Context reqctxInOtel;

  @Setup(Level.Trial)
  public void setUp() {
    scope = CancellableCtx.newRoot(Tier.SERVICE).budget(Duration.ofHours(1)).requestId("bench").open();
    RequestCtx r = scope.ctx();
    io.grpc.Context g = io.grpc.Context.ROOT;
    Context o = Context.root();
    ProtoCtx p = ProtoCtx.empty(new Object());
    for (int i = 0; i < keys; i++) {
      Object value = "value-" + i;
      CtxKey<Object> rk = CtxKey.local("k" + i);
      io.grpc.Context.Key<Object> gk = io.grpc.Context.key("k" + i);
      ContextKey<Object> ok = ContextKey.named("k" + i);
      r = r.with(rk, value);
      g = g.withValue(gk, value);
      o = o.with(ok, value);
      ProtoKey<Object> pk = new ProtoKey<>("k" + i);
      p = p.with(pk, value);
      protoLast = pk;
      reqLast = rk;
      grpcLast = gk;
      otelLast = ok;
    }
    reqctx = r;
    grpc = g;
    otel = o;
    proto = p;
    protoMissing = new ProtoKey<>("missing");
    protoExtra = new ProtoKey<>("extra");
    reqMissing = CtxKey.local("missing");
    grpcMissing = io.grpc.Context.key("missing");
    otelMissing = ContextKey.named("missing");
    reqExtra = CtxKey.local("extra");
    grpcExtra = io.grpc.Context.key("extra");
    otelExtra = ContextKey.named("extra");
    extraValue = "extra-value";
    reqctxInOtel = Context.root().with(reqctx);
    if (proto.get(protoLast) == null || proto.get(protoMissing) != null || reqctx.get(reqLast) == null || grpcLast.get(grpc) == null || otel.get(otelLast) == null) {
      throw new IllegalStateException("setup did not store the last key");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    scope.close();
    if (Context.current() != Context.root() || io.grpc.Context.current() != io.grpc.Context.ROOT) {
      throw new IllegalStateException("a benchmark left a context attached");
    }
  }

  // ---- get: the last key set (the far end of a linear scan) ----

  @Benchmark
  public Object getLast_reqctx() {
    return reqctx.get(reqLast);
  }

  @Benchmark
  public Object getLast_grpc() {
    return grpcLast.get(grpc);
  }

  @Benchmark
  public Object getLast_otel() {
    return otel.get(otelLast);
  }

  @Benchmark
  public Object getLast_proto() {
    return proto.get(protoLast);
  }

  // ---- get: a key that is absent ----

  @Benchmark
  public Object getMiss_reqctx() {
    return reqctx.get(reqMissing);
  }

  @Benchmark
  public Object getMiss_grpc() {
    return grpcMissing.get(grpc);
  }

  @Benchmark
  public Object getMiss_otel() {
    return otel.get(otelMissing);
  }

  @Benchmark
  public Object getMiss_proto() {
    return proto.get(protoMissing);
  }

  // ---- with: add one key to a context holding `keys` ----

  @Benchmark
  public Object with_reqctx() {
    return reqctx.with(reqExtra, extraValue);
  }

  @Benchmark
  public Object with_grpc() {
    return grpc.withValue(grpcExtra, extraValue);
  }

  @Benchmark
  public Object with_otel() {
    return otel.with(otelExtra, extraValue);
  }

  @Benchmark
  public Object with_proto() {
    return proto.with(protoExtra, extraValue);
  }

  // ---- attach/detach: make the context current, then restore the previous one ----

  @Benchmark
  public void attachDetach_reqctx(Blackhole bh) {
    try (Scope s = reqctx.makeCurrent()) {
      bh.consume(s);
    }
  }

  /**
   * Not a public API path: the floor reqctx's makeCurrent() would reach if it reused a cached
   * {@code Context.current().with(ctx)} instead of building it on each call (see docs/BENCHMARKS.md).
   */
  @Benchmark
  public void attachDetachCachedCtx_reqctx(Blackhole bh) {
    try (Scope s = reqctxInOtel.makeCurrent()) {
      bh.consume(s);
    }
  }

  @Benchmark
  public void attachDetach_grpc(Blackhole bh) {
    io.grpc.Context previous = grpc.attach();
    bh.consume(previous);
    grpc.detach(previous);
  }

  @Benchmark
  public void attachDetach_otel(Blackhole bh) {
    try (Scope s = otel.makeCurrent()) {
      bh.consume(s);
    }
  }

  // ---- current get: what code deep in a request does (read the current context, then a key) ----

  @Benchmark
  public void currentGetLast_reqctx(Blackhole bh) {
    try (Scope s = reqctx.makeCurrent()) {
      bh.consume(RequestCtx.current().get(reqLast));
    }
  }

  @Benchmark
  public void currentGetLast_grpc(Blackhole bh) {
    io.grpc.Context previous = grpc.attach();
    bh.consume(grpcLast.get());
    grpc.detach(previous);
  }

  @Benchmark
  public void currentGetLast_otel(Blackhole bh) {
    try (Scope s = otel.makeCurrent()) {
      bh.consume(Context.current().get(otelLast));
    }
  }
}
