/**
 * Armeria integration of {@code reqctx-resilience4j}: a {@code WebClient} decorator applying a {@link
 * io.reqctx.resilience4j.DownstreamGuard} per path. Imports Armeria, the OpenTelemetry context API and
 * {@code io.reqctx.resilience4j}; composes with {@code reqctx-armeria}'s {@code RequestCtxClient} without
 * depending on it.
 */
@NullMarked
package io.reqctx.resilience4j.armeria;

import org.jspecify.annotations.NullMarked;
