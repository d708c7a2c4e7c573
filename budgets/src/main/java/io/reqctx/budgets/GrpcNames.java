package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import io.grpc.MethodDescriptor;
import java.util.regex.Pattern;

/** Splits gRPC full method names ({@code "pkg.Service/Method"}). */
final class GrpcNames {
  private static final Pattern FULL_METHOD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*/[A-Za-z_][A-Za-z0-9_]*");

  private GrpcNames() {}

  static boolean isFullMethodName(String name) {
    return FULL_METHOD.matcher(name).matches();
  }

  static String service(String fullMethodName) {
    return requireNonNull(MethodDescriptor.extractFullServiceName(fullMethodName), fullMethodName);
  }

  static String method(String fullMethodName) {
    return requireNonNull(MethodDescriptor.extractBareMethodName(fullMethodName), fullMethodName);
  }
}
