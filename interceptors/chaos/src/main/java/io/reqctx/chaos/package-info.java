/**
 * Fault injection for drills and soaks: cancel storms, deadline skew, latency and the detection of
 * values retained after their request ended, as grpc-java interceptors and Armeria decorators, enabled
 * only by a {@link io.reqctx.chaos.Chaos} the application configures. Imports the reqctx SDK (its wire
 * codecs rewrite deadline headers), grpc-api, Armeria and the OpenTelemetry API; it wraps reqctx's
 * interceptors and decorators through grpc's and Armeria's public interfaces, not reqctx's internals.
 *
 * <p>Public API: {@link io.reqctx.chaos.Chaos}, {@link io.reqctx.chaos.ChaosRule}, {@link
 * io.reqctx.chaos.Fault}, {@link io.reqctx.chaos.ChaosServerInterceptor}, {@link
 * io.reqctx.chaos.ChaosClientInterceptor}, {@link io.reqctx.chaos.ChaosService}, {@link
 * io.reqctx.chaos.ChaosClient}.
 */
@NullMarked
package io.reqctx.chaos;

import org.jspecify.annotations.NullMarked;
