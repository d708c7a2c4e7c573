package io.reqctx.samples.chain;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.GetRequest;
import io.reqctx.samples.proto.GetResponse;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The cache tier: answers a key after {@code delay_ms} of simulated work. The work runs in steps and
 * stops at the first step after the request is cancelled; the hop then reports how many steps it
 * did not do.
 */
final class CacheService extends CacheServiceGrpc.CacheServiceImplBase {
  static final String METHOD = CacheServiceGrpc.getGetMethod().getFullMethodName();

  private final HopLog log;

  CacheService(HopLog log) {
    this.log = requireNonNull(log, "log");
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> response) {
    HopRecorder hop = HopRecorder.arrive(Role.CACHE, METHOD, log);
    int skipped;
    try {
      skipped = hop.work(Duration.ofMillis(request.getDelayMs()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      hop.finish(HopOutcome.HOP_OUTCOME_CANCELLED, "interrupted");
      response.onError(Status.CANCELLED.withDescription("cache interrupted").asRuntimeException());
      return;
    }
    if (skipped > 0) {
      Hop cut = hop.finish(hop.cancelOutcome(), "stopped: " + skipped + " steps of work not done");
      // reqctx has usually closed the call already; this only matters if it has not.
      response.onError(HopTrailers.error(Status.CANCELLED.withDescription("cache work stopped"), List.of(cut)));
      return;
    }
    Hop done = hop.finish(HopOutcome.HOP_OUTCOME_OK, "");
    response.onNext(GetResponse.newBuilder()
        .setFound(true)
        .setValue(ByteString.copyFrom("17", StandardCharsets.UTF_8))
        .setTtlRemainingMs(30_000)
        .addHops(done)
        .build());
    response.onCompleted();
  }
}
