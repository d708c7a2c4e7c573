/**
 * Reads reqctx budget options ({@code reqctx/v1/budget.proto}) from protobuf service descriptors.
 * May import reqctx-sdk, protobuf-java, grpc-api and grpc-protobuf only.
 */
@NullMarked
package io.reqctx.proto;

import org.jspecify.annotations.NullMarked;
