/**
 * Not API: the transport kernel that reqctx-grpc and reqctx-armeria share, and that may change in any
 * release. It applies a {@link io.reqctx.transport.ServerConfig} to one inbound call and a {@link
 * io.reqctx.transport.ClientConfig} to one outgoing call, reading and writing headers through {@link
 * io.reqctx.internal.transport.HeaderReader} and {@link io.reqctx.internal.transport.HeaderWriter}; it
 * imports the reqctx core, the wire codecs and the OpenTelemetry API only, never a transport library.
 */
@NullMarked
package io.reqctx.internal.transport;

import org.jspecify.annotations.NullMarked;
