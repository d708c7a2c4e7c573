/**
 * Prototypes of SDK layout changes, benchmarked beside the real SDK to give a suggested change a
 * measured number. Not used by reqctx; may import only the JDK.
 */
package io.reqctx.bench.proto;
