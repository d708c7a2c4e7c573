package io.reqctx.chaos;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.reqctx.grpc.TestRpc;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** reqctx-grpc's string-in, string-out test methods, and a client call that never throws. */
final class Rpc {
  private Rpc() {}

  static MethodDescriptor<String, String> unary(String fullMethodName) {
    return TestRpc.unary(fullMethodName);
  }

  /** How a call ended: its status and, when OK, the answer. */
  record Result(Status.Code code, String description, String body) {}

  /** Calls {@code method} with {@code x-request-id: requestId} (null: none) and a deadline; never fails. */
  static CompletableFuture<Result> call(Channel channel, MethodDescriptor<String, String> method, String requestId,
      String body, Duration deadline) {
    Metadata headers = new Metadata();
    if (requestId != null) {
      headers.put(BudgetHeaders.REQUEST_ID, requestId);
    }
    Channel withId = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    CompletableFuture<Result> result = new CompletableFuture<>();
    var future = ClientCalls.futureUnaryCall(
        withId.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)), body);
    future.addListener(() -> {
      try {
        result.complete(new Result(Status.Code.OK, "", future.get()));
      } catch (Exception e) {
        Status status = e.getCause() instanceof StatusRuntimeException s ? s.getStatus() : Status.fromThrowable(e);
        result.complete(new Result(status.getCode(), status.getDescription() == null ? "" : status.getDescription(), ""));
      }
    }, Runnable::run);
    return result;
  }
}
