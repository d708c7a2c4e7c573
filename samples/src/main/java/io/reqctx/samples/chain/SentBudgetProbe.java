package io.reqctx.samples.chain;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

/**
 * Tells the current {@link HopRecorder} the deadline an outgoing call leaves with. Registered inside
 * (before, in {@code ClientInterceptors.intercept}) reqctx's client interceptor, it sees the
 * {@link CallOptions} deadline reqctx set from its budget policy, so the waterfall shows the budget
 * that was really sent without a second copy of the arithmetic. A call reqctx refuses never reaches it.
 *
 * <pre>{@code
 * Channel budgeted = ClientInterceptors.intercept(channel, new SentBudgetProbe(), reqctxClientInterceptor);
 * }</pre>
 */
final class SentBudgetProbe implements ClientInterceptor {

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    HopRecorder hop = HopRecorder.current();
    if (hop != null) {
      hop.callStarted(callOptions.getDeadline());
    }
    return next.newCall(method, callOptions);
  }
}
