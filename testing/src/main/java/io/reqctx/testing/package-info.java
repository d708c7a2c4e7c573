/**
 * Test support for code that uses reqctx: a fake ticker and a JUnit 5 extension that checks context
 * hygiene. Imports the reqctx core, the OpenTelemetry context API and JUnit's extension API. Ships as
 * {@code reqctx-testing}, a test-scope dependency, never in a production classpath.
 */
@NullMarked
package io.reqctx.testing;

import org.jspecify.annotations.NullMarked;
