/**
 * Not API: reqctx's JVM-wide registries (the tier registry), kept outside {@code io.reqctx} so that
 * tests can undo what they registered. Imports the reqctx core only.
 */
@NullMarked
package io.reqctx.internal.registry;

import org.jspecify.annotations.NullMarked;
