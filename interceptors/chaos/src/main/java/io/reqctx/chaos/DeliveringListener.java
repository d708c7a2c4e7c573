package io.reqctx.chaos;

import io.grpc.ServerCall;
import java.util.function.Consumer;

/**
 * A listener that hands every callback to {@link #deliver}, which decides when and how it reaches the
 * listener it wraps; {@code onCancel} and {@code onComplete} are terminal.
 */
abstract class DeliveringListener<ReqT> extends ServerCall.Listener<ReqT> {

  /** Delivers {@code callback} to the wrapped listener, or holds or drops it. */
  abstract void deliver(Consumer<ServerCall.Listener<ReqT>> callback, boolean terminal);

  @Override
  public void onMessage(ReqT message) {
    deliver(l -> l.onMessage(message), false);
  }

  @Override
  public void onHalfClose() {
    deliver(ServerCall.Listener::onHalfClose, false);
  }

  @Override
  public void onReady() {
    deliver(ServerCall.Listener::onReady, false);
  }

  @Override
  public void onCancel() {
    deliver(ServerCall.Listener::onCancel, true);
  }

  @Override
  public void onComplete() {
    deliver(ServerCall.Listener::onComplete, true);
  }
}
