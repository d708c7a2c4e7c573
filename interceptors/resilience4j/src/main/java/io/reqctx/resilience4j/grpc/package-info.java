/**
 * grpc-java integration of {@code reqctx-resilience4j}: a {@link io.grpc.ClientInterceptor} applying a
 * {@link io.reqctx.resilience4j.DownstreamGuard} per method. Imports grpc-api, the OpenTelemetry context
 * API and {@code io.reqctx.resilience4j}; composes with {@code reqctx-grpc}'s client interceptor
 * without depending on it.
 */
@NullMarked
package io.reqctx.resilience4j.grpc;

import org.jspecify.annotations.NullMarked;
