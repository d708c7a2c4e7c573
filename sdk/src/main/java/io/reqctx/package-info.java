/**
 * The reqctx core: typed keys, the immutable {@link io.reqctx.RequestCtx}, scopes with a cancellation
 * tree, deadlines, tiers and the budget policy. May import the OpenTelemetry API and SLF4J only.
 */
@NullMarked
package io.reqctx;

import org.jspecify.annotations.NullMarked;
