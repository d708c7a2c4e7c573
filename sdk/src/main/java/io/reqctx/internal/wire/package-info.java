/**
 * Not API: the header grammar of the reqctx wire format, one codec per header, used by the transport
 * integrations (gRPC, Armeria). The contract for other languages is docs/WIRE.md, not these classes; imports nothing outside
 * the JDK, jspecify and SLF4J.
 */
@NullMarked
package io.reqctx.internal.wire;

import org.jspecify.annotations.NullMarked;
