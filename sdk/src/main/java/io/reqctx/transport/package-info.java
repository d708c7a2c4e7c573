/**
 * The transport-neutral kernel that gRPC and HTTP integrations share: for transport integrations, not
 * applications. Reads and writes headers through {@link io.reqctx.transport.HeaderReader} and {@link
 * io.reqctx.transport.HeaderWriter}, so it imports the reqctx core, the wire codecs and the
 * OpenTelemetry API only, never a transport library.
 *
 * <p>Public API: {@link io.reqctx.transport.ServerConfig}, {@link io.reqctx.transport.ClientConfig},
 * {@link io.reqctx.transport.Trust}, {@link io.reqctx.transport.InboundCall}, {@link
 * io.reqctx.transport.OutboundCall}, {@link io.reqctx.transport.Rejection}, {@link
 * io.reqctx.transport.Outcome}, {@link io.reqctx.transport.HeaderReader}, {@link
 * io.reqctx.transport.HeaderWriter}.
 */
@NullMarked
package io.reqctx.transport;

import org.jspecify.annotations.NullMarked;
