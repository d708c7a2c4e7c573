/**
 * The {@code reqctx-budgets} command line ({@code lint}, {@code export}) over the fleet budget library.
 * May import io.reqctx.budgets and picocli.
 */
@NullMarked
package io.reqctx.budgets.cli;

import org.jspecify.annotations.NullMarked;
