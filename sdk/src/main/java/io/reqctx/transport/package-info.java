/**
 * How a service configures reqctx's transport integrations: {@link io.reqctx.transport.ServerConfig}
 * for its server entry points (gRPC interceptor, Armeria decorator) and {@link
 * io.reqctx.transport.ClientConfig} for its clients, with {@link io.reqctx.transport.Trust} and {@link
 * io.reqctx.transport.SpanMode}; {@link io.reqctx.transport.Rejection} and {@link
 * io.reqctx.transport.Outcome} name what a transport reports. Imports the reqctx core and the
 * OpenTelemetry API only.
 */
@NullMarked
package io.reqctx.transport;

import org.jspecify.annotations.NullMarked;
