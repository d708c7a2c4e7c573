/**
 * The four tiers of the demo chain (gateway, order, inventory, cache), each recording its own hop of
 * the budget waterfall. May import every reqctx module, grpc-java, Armeria and the OpenTelemetry SDK.
 */
@NullMarked
package io.reqctx.samples.chain;

import org.jspecify.annotations.NullMarked;
