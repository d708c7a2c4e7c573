/**
 * The runnable reqctx demo. May import every reqctx module and the OpenTelemetry SDK.
 */
@NullMarked
package io.reqctx.samples;

import org.jspecify.annotations.NullMarked;
