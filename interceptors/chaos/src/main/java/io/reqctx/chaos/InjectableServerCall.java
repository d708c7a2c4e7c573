package io.reqctx.chaos;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

/**
 * The transport's call as the code inside sees it, with a cancel chaos can inject: once injected the
 * call is closed with the injected status, reports {@link #isCancelled()} true, and drops what the
 * code inside still sends, as grpc-java does for a call its client cancelled. Serialises every use of
 * the call with the injection, which comes from a timer thread.
 */
final class InjectableServerCall<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
  private final Object lock = new Object();
  private boolean closed; // guarded by lock
  private volatile boolean cancelledByChaos;

  InjectableServerCall(ServerCall<ReqT, RespT> delegate) {
    super(delegate);
  }

  @Override
  public void request(int numMessages) {
    synchronized (lock) {
      if (!closed) {
        super.request(numMessages);
      }
    }
  }

  @Override
  public void sendHeaders(Metadata headers) {
    synchronized (lock) {
      if (!closed) {
        super.sendHeaders(headers);
      }
    }
  }

  @Override
  public void sendMessage(RespT message) {
    synchronized (lock) {
      if (!closed) {
        super.sendMessage(message);
      }
    }
  }

  @Override
  public void close(Status status, Metadata trailers) {
    synchronized (lock) {
      if (!closed) {
        closed = true;
        super.close(status, trailers);
      }
    }
  }

  @Override
  public boolean isReady() {
    return !cancelledByChaos && super.isReady();
  }

  @Override
  public boolean isCancelled() {
    return cancelledByChaos || super.isCancelled();
  }

  /**
   * Marks the call cancelled by chaos, from now on refusing what the code inside sends: false when it
   * was already closed (the request had ended). Follow with {@link #closeCancelled}.
   */
  boolean markCancelled() {
    synchronized (lock) {
      if (closed) {
        return false;
      }
      closed = true;
      cancelledByChaos = true;
      return true;
    }
  }

  /** Closes the transport's call with {@code status} after {@link #markCancelled}. */
  void closeCancelled(Status status) {
    synchronized (lock) {
      super.close(status, new Metadata());
    }
  }

  boolean cancelledByChaos() {
    return cancelledByChaos;
  }
}
