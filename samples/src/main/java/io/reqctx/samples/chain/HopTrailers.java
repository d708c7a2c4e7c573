package io.reqctx.samples.chain;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.reqctx.samples.proto.Hop;
import io.reqctx.samples.proto.HopList;
import java.util.List;

/**
 * The hops of a call that ends with an error status travel back in the trailer {@code
 * reqctx.samples.v1.hoplist-bin}, so the caller's waterfall stays complete when a hop fails.
 *
 * <pre>{@code
 * observer.onError(HopTrailers.error(Status.DEADLINE_EXCEEDED.withDescription(why), hops));
 * List<Hop> below = HopTrailers.hops(statusRuntimeException);
 * }</pre>
 */
final class HopTrailers {
  static final Metadata.Key<HopList> KEY = ProtoUtils.keyForProto(HopList.getDefaultInstance());

  private HopTrailers() {}

  /** An error carrying {@code hops} in its trailers. */
  static StatusRuntimeException error(Status status, List<Hop> hops) {
    Metadata trailers = new Metadata();
    trailers.put(KEY, HopList.newBuilder().addAllHops(hops).build());
    return status.asRuntimeException(trailers);
  }

  /** The hops a failed call sent back, or an empty list when it sent none. */
  static List<Hop> hops(StatusRuntimeException e) {
    Metadata trailers = e.getTrailers();
    HopList hops = trailers == null ? null : trailers.get(KEY);
    return hops == null ? List.of() : hops.getHopsList();
  }
}
