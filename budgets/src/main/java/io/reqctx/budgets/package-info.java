/**
 * Fleet budgets: one model of a fleet ({@link io.reqctx.budgets.Fleet}) read from a YAML budget file or
 * from {@code (reqctx.v1.budget)} proto options, linted across the call graph ({@link
 * io.reqctx.budgets.FleetLint}) and exported as gRPC service configs. May import reqctx-sdk,
 * reqctx-proto, protobuf, grpc-api, snakeyaml-engine and gson.
 */
@NullMarked
package io.reqctx.budgets;

import org.jspecify.annotations.NullMarked;
