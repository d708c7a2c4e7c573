package io.reqctx.resilience4j;

/** What wraps each attempt of a retry loop: a circuit breaker, or nothing. */
interface AttemptGuard {
  AttemptGuard NONE = new AttemptGuard() {
    @Override
    public void acquire(int attemptsMade) {}

    @Override
    public void onSuccess(long nanos) {}

    @Override
    public void onFailure(long nanos, Throwable failure) {}

    @Override
    public void release() {}
  };

  /** Lets the next attempt start, or throws a {@link RetryStoppedException} saying why not. */
  void acquire(int attemptsMade);

  void onSuccess(long nanos);

  void onFailure(long nanos, Throwable failure);

  /** The attempt ended without saying anything about the downstream (the caller left). */
  void release();
}
