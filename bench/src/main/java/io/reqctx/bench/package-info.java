/**
 * JMH benchmarks and footprint probes comparing reqctx with io.grpc.Context and OpenTelemetry's Context.
 * May import the reqctx SDK, grpc-api, opentelemetry-context, JMH and JOL; nothing imports it.
 */
package io.reqctx.bench;
