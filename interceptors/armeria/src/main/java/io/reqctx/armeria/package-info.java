/**
 * Armeria integration: an {@code HttpService} decorator that opens one reqctx scope per request, a
 * {@code WebClient} decorator that budgets and decorates outgoing requests, and the wiring for
 * Armeria's {@code GrpcService}. Imports Armeria, armeria-grpc, grpc-api, the OpenTelemetry API, the
 * reqctx SDK (its {@code transport} kernel and {@code wire} codecs do the work) and reqctx-grpc.
 *
 * <p>Public API: {@link io.reqctx.armeria.RequestCtxService#newDecorator(io.reqctx.transport.ServerConfig)},
 * {@link io.reqctx.armeria.RequestCtxClient#newDecorator(io.reqctx.transport.ClientConfig)}, {@link
 * io.reqctx.armeria.RequestCtxGrpcService#configure} (and {@link
 * io.reqctx.armeria.RequestCtxGrpcService#newInterceptor}), {@link io.reqctx.armeria.RejectedCallException}.
 */
@NullMarked
package io.reqctx.armeria;

import org.jspecify.annotations.NullMarked;
