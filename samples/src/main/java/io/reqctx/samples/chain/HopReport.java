package io.reqctx.samples.chain;

import io.reqctx.samples.proto.Hop;
import java.util.OptionalLong;

/**
 * One finished hop as its own process saw it, with the monotonic times the demo needs to line hops
 * up against each other and against the client (valid within one JVM only).
 *
 * @param role the tier that reported
 * @param requestId the reqctx request id (empty without reqctx)
 * @param hop the hop as it is sent upstream
 * @param startNanos {@link System#nanoTime()} when the hop started
 * @param endNanos {@link System#nanoTime()} when the hop finished its work
 * @param cancelSeenNanos when the hop saw its request cancelled, if it did
 * @param skippedSteps steps of simulated work the hop did not do because its request was cancelled
 */
public record HopReport(
    Role role, String requestId, Hop hop, long startNanos, long endNanos, OptionalLong cancelSeenNanos,
    int skippedSteps) {}
