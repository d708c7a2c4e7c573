/**
 * Header grammar for the reqctx wire format, one codec per header. Used by transport integrations
 * (gRPC, Armeria) and by services in other languages through docs/WIRE.md; imports nothing outside
 * the JDK, jspecify and SLF4J.
 */
@NullMarked
package io.reqctx.wire;

import org.jspecify.annotations.NullMarked;
