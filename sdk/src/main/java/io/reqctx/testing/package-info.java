/**
 * Test support for code that uses reqctx: a fake ticker and a JUnit 5 extension that checks context
 * hygiene. Imports the reqctx core, the OpenTelemetry context API and JUnit's extension API (optional).
 */
@NullMarked
package io.reqctx.testing;

import org.jspecify.annotations.NullMarked;
