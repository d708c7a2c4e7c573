/**
 * gRPC benchmarks and latency harnesses: per-call overhead (JMH) and cancellation, deadline and
 * work-after-the-caller-left distributions across three hops on loopback. May import everything the
 * bench module depends on; nothing imports it.
 */
package io.reqctx.bench.grpc;
