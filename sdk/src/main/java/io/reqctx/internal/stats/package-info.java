/**
 * Not API: small statistics of what reqctx observes at run time (recent latencies and transit times per
 * callee), used by the transports and by {@code reqctx-resilience4j}. Pure arithmetic over values and
 * readings of a clock passed in; imports nothing outside the JDK and jspecify.
 */
@NullMarked
package io.reqctx.internal.stats;

import org.jspecify.annotations.NullMarked;
