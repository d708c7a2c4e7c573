package io.reqctx.chaos;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The listener reqctx calls when chaos acts inside the scope: it reports the end of the call (for the
 * value-leak watch) and, when the handler's start is delayed, holds the callbacks that arrive before
 * the handler starts and replays them in order once it has. A call that ends during the delay never
 * starts its handler. Callbacks reach the handler one at a time, as grpc requires: a terminal callback
 * waits for a replayed one that is still running, as grpc-java's own serialisation would.
 */
final class InsideListener<ReqT> extends DeliveringListener<ReqT> {
  private final Object lock = new Object();
  private final Runnable onEnd;
  private ServerCall.@Nullable Listener<ReqT> delegate; // guarded by lock; null until the handler starts
  private final List<Consumer<ServerCall.Listener<ReqT>>> held = new ArrayList<>(2); // guarded by lock
  private boolean ended; // guarded by lock

  /** A listener for a handler that starts at once. */
  InsideListener(ServerCall.Listener<ReqT> delegate, Runnable onEnd) {
    this.delegate = delegate;
    this.onEnd = onEnd;
  }

  /** A listener for a handler that starts later, with {@link #start}. */
  InsideListener(Runnable onEnd) {
    this.onEnd = onEnd;
  }

  /**
   * Starts the handler (unless the call ended meanwhile) and replays what arrived before. A failure
   * closes {@code call} as grpc closes a call whose handler threw, since no transport thread is there
   * to do it. Returns whether the handler started.
   */
  <RespT> boolean start(Supplier<ServerCall.Listener<ReqT>> handler, ServerCall<ReqT, RespT> call) {
    synchronized (lock) {
      if (ended) {
        return false;
      }
      try {
        delegate = handler.get();
        for (Consumer<ServerCall.Listener<ReqT>> callback : held) {
          callback.accept(delegate);
        }
      } catch (RuntimeException | Error e) {
        ended = true;
        call.close(Status.fromThrowable(e), new Metadata());
      } finally {
        held.clear();
      }
      return true;
    }
  }

  @Override
  void deliver(Consumer<ServerCall.Listener<ReqT>> callback, boolean terminal) {
    try {
      synchronized (lock) {
        if (ended) {
          return;
        }
        ended = terminal;
        if (delegate != null) {
          callback.accept(delegate);
        } else if (!terminal) {
          held.add(callback);
        }
      }
    } finally {
      if (terminal) {
        onEnd.run();
      }
    }
  }
}
