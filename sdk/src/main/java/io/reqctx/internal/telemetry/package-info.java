/**
 * Not API: reqctx metrics through the OpenTelemetry metrics API (their names, units and attributes
 * are documented in docs/OBSERVABILITY.md). Imports the reqctx core and the OpenTelemetry
 * API only (applications bring the SDK).
 */
@NullMarked
package io.reqctx.internal.telemetry;

import org.jspecify.annotations.NullMarked;
