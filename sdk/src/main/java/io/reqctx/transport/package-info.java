/**
 * How a service configures reqctx's transport integrations: {@link io.reqctx.transport.ServerConfig}
 * for its server entry points (gRPC interceptor, Armeria decorator) and {@link
 * io.reqctx.transport.ClientConfig} for its clients, with {@link io.reqctx.transport.Trust} and {@link
 * io.reqctx.transport.SpanMode}. What the integrations report is core vocabulary: {@link
 * io.reqctx.Outcome} and {@link io.reqctx.Rejection}. Imports the reqctx core and the OpenTelemetry
 * API only.
 */
@NullMarked
package io.reqctx.transport;

import org.jspecify.annotations.NullMarked;
