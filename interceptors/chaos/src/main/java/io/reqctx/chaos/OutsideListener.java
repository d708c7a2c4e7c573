package io.reqctx.chaos;

import io.grpc.Context;
import io.grpc.ServerCall;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The listener the transport calls when a cancel storm may hit the call: every callback runs with the
 * chaos grpc {@link Context} attached (the parent of the context reqctx gives the call), and an
 * injected cancel reaches the listener inside as {@code onCancel}, serialised with the transport's
 * callbacks. As in grpc-java, the contexts are cancelled at once (by {@link ServerCallChaos}) while
 * {@code onCancel} waits for a callback still running (a blocking handler) to return; the injecting
 * thread never waits. Once the call was cancelled the transport's {@code onComplete} reaches the
 * listener inside as its {@code onCancel}.
 */
final class OutsideListener<ReqT> extends DeliveringListener<ReqT> {
  private final ServerCall.Listener<ReqT> delegate;
  private final Context.CancellableContext context;
  private final InjectableServerCall<ReqT, ?> call;
  private final Runnable onEnd;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicBoolean cancelPending = new AtomicBoolean();
  private boolean ended; // guarded by lock

  OutsideListener(ServerCall.Listener<ReqT> delegate, Context.CancellableContext context,
      InjectableServerCall<ReqT, ?> call, Runnable onEnd) {
    this.delegate = delegate;
    this.context = context;
    this.call = call;
    this.onEnd = onEnd;
  }

  @Override
  public void onComplete() {
    // A call chaos cancelled was closed by chaos, not by the code inside: to it, it was cancelled.
    deliver(l -> {
      if (call.cancelledByChaos()) {
        l.onCancel();
      } else {
        l.onComplete();
      }
    }, true);
  }

  /** Delivers {@code onCancel} to the listener inside as soon as no callback is running. Never blocks. */
  void injectCancel() {
    cancelPending.set(true);
    drainPending();
  }

  @Override
  void deliver(Consumer<ServerCall.Listener<ReqT>> callback, boolean terminal) {
    lock.lock();
    try {
      runPending();
      if (!ended) {
        ended = terminal;
        inContext(callback);
      }
    } finally {
      lock.unlock();
      if (terminal) {
        end();
      }
    }
    drainPending();
  }

  private void drainPending() {
    while (cancelPending.get() && lock.tryLock()) {
      try {
        runPending();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Runs a pending injected cancel; the lock is held. */
  private void runPending() {
    if (cancelPending.getAndSet(false) && !ended) {
      ended = true;
      try {
        inContext(ServerCall.Listener::onCancel);
      } finally {
        end();
      }
    }
  }

  private void inContext(Consumer<ServerCall.Listener<ReqT>> callback) {
    Context previous = context.attach();
    try {
      callback.accept(delegate);
    } finally {
      context.detach(previous);
    }
  }

  /**
   * The call is over for the listener inside: release the chaos context (after the terminal callback,
   * as grpc-java cancels a call's context only once the listener heard how the call ended), then tell
   * the call's chaos.
   */
  private void end() {
    context.cancel(null);
    onEnd.run();
  }
}
