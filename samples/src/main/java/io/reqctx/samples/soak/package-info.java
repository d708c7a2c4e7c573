/**
 * The soak: the four tiers in this JVM driven with many requests (a mix of budgets, slow hops,
 * client cancels and reqctx-chaos faults, a stalled and a killed tier), and a verdict on what
 * reliability means here — every request answered, every answer explained, nothing leaked, resources
 * back where they started. May import every reqctx module and the OpenTelemetry SDK.
 */
@NullMarked
package io.reqctx.samples.soak;

import org.jspecify.annotations.NullMarked;
