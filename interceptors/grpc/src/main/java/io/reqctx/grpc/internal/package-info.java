/**
 * Not API: what reqctx-grpc shares with reqctx-armeria, which may change in any release. Imports
 * grpc-context only.
 */
@NullMarked
package io.reqctx.grpc.internal;

import org.jspecify.annotations.NullMarked;
