/**
 * reqctx metrics through the OpenTelemetry metrics API. Imports the reqctx core and the OpenTelemetry
 * API only (applications bring the SDK).
 */
@NullMarked
package io.reqctx.telemetry;

import org.jspecify.annotations.NullMarked;
