/**
 * grpc-java integration: a {@link io.grpc.ServerInterceptor} that opens one reqctx scope per call (every
 * call shape; a call reqctx ends looks to the handler like one grpc-java's own deadline ends) and a
 * {@link io.grpc.ClientInterceptor} that budgets and decorates outgoing calls. Imports grpc-api,
 * grpc-context, the OpenTelemetry API and the reqctx SDK (its {@code transport} kernel does the work);
 * {@code io.reqctx.grpc.internal} is shared with reqctx-armeria and is not API.
 *
 * <p>Public API: {@link io.reqctx.grpc.RequestCtxServerInterceptor#create(io.reqctx.transport.ServerConfig)}
 * and {@link io.reqctx.grpc.RequestCtxClientInterceptor#create(io.reqctx.transport.ClientConfig)}.
 */
@NullMarked
package io.reqctx.grpc;

import org.jspecify.annotations.NullMarked;
