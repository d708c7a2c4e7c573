package io.reqctx.chaos;

import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.jspecify.annotations.Nullable;

/**
 * An outgoing call whose start is held back: what the caller does before {@link #release()} is kept
 * and replayed on the real call, in order, when it is released. A call cancelled meanwhile never
 * reaches the network; its listener hears {@code CANCELLED} through the call's executor, as from
 * grpc's own calls (a blocking stub waits on that executor and would never wake otherwise).
 */
final class DelayedClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
  private final ClientCall<ReqT, RespT> real;
  private final Executor callExecutor;
  private final Context context = Context.current();
  private final Object lock = new Object();
  private final List<Runnable> held = new ArrayList<>(4); // guarded by lock
  private boolean released; // guarded by lock
  private @Nullable Status cancelled; // guarded by lock
  private @Nullable Listener<RespT> listener; // guarded by lock

  /** {@code callExecutor}: the call's {@link io.grpc.CallOptions#getExecutor()}; null: the common pool. */
  DelayedClientCall(ClientCall<ReqT, RespT> real, @Nullable Executor callExecutor) {
    this.real = real;
    this.callExecutor = callExecutor != null ? callExecutor : ForkJoinPool.commonPool();
  }

  /** Starts the real call with what was held; false when the call was cancelled first. */
  boolean release() {
    synchronized (lock) {
      if (cancelled != null) {
        return false;
      }
      for (Runnable action : held) {
        action.run();
      }
      held.clear();
      released = true;
      return true;
    }
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata headers) {
    Status closedWith;
    synchronized (lock) {
      listener = responseListener;
      closedWith = cancelled;
      if (closedWith == null) {
        passOrHold(() -> real.start(responseListener, headers));
        return;
      }
    }
    close(responseListener, closedWith);
  }

  @Override
  public void request(int numMessages) {
    synchronized (lock) {
      passOrHold(() -> real.request(numMessages));
    }
  }

  @Override
  public void sendMessage(ReqT message) {
    synchronized (lock) {
      passOrHold(() -> real.sendMessage(message));
    }
  }

  @Override
  public void halfClose() {
    synchronized (lock) {
      passOrHold(real::halfClose);
    }
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    synchronized (lock) {
      passOrHold(() -> real.setMessageCompression(enabled));
    }
  }

  @Override
  public boolean isReady() {
    synchronized (lock) {
      if (!released) {
        return false;
      }
    }
    return real.isReady();
  }

  @Override
  public void cancel(@Nullable String message, @Nullable Throwable cause) {
    Listener<RespT> toTell;
    Status status;
    synchronized (lock) {
      if (released) {
        real.cancel(message, cause);
        return;
      }
      if (cancelled != null) {
        return;
      }
      status = Status.CANCELLED.withDescription(message).withCause(cause);
      cancelled = status;
      held.clear();
      toTell = listener;
    }
    if (toTell != null) {
      close(toTell, status);
    }
  }

  private void close(Listener<RespT> to, Status status) {
    callExecutor.execute(() -> {
      Context previous = context.attach();
      try {
        to.onClose(status, new Metadata());
      } finally {
        context.detach(previous);
      }
    });
  }

  private void passOrHold(Runnable action) {
    if (released) {
      action.run();
    } else if (cancelled == null) {
      held.add(action);
    }
  }
}
