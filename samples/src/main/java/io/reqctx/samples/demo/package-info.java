/**
 * The embedded demo: the five scenarios run against real servers on loopback, each printed as a
 * budget waterfall with a verdict. May import {@code io.reqctx.samples.chain}, Armeria's client and
 * Jackson.
 */
@NullMarked
package io.reqctx.samples.demo;

import org.jspecify.annotations.NullMarked;
