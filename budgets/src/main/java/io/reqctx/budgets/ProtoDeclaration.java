package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import io.reqctx.Tier;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a method's {@code .proto} says about it: the {@code (reqctx.v1.budget)} option (or the service's
 * {@code default_budget}) as {@link io.reqctx.proto.ProtoBudgets} reads it, and whether it streams.
 *
 * <pre>{@code
 * ProtoDeclaration get = ProtoFleets.declarations(cacheServiceDescriptor).get(0);
 * get.budget(); // PT0.8S, from option (reqctx.v1.budget) = { tier: "cache", timeout_ms: 800 }
 * }</pre>
 *
 * @param method the full method name, {@code "pkg.Service/Method"}
 * @param grpcService the full gRPC service name, {@code "pkg.Service"}
 * @param tier the tier the option names, or null when the method has no budget option
 * @param budget the option's {@code timeout_ms}, or null when it is 0 or absent
 * @param streaming from the method's {@code stream} markers
 * @param location the option (or the method) in its {@code .proto} file, when the descriptor kept source info
 */
public record ProtoDeclaration(
    String method, String grpcService, @Nullable Tier tier, @Nullable Duration budget, Streaming streaming,
    Location location) {

  public ProtoDeclaration {
    requireNonNull(method, "method");
    requireNonNull(grpcService, "grpcService");
    requireNonNull(streaming, "streaming");
    requireNonNull(location, "location");
  }
}
