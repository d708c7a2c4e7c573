package io.reqctx.budgets;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.reqctx.budgets.test.proto.ProbeReply;
import io.reqctx.budgets.test.proto.ProbeRequest;
import io.reqctx.budgets.test.proto.ProbeServiceGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The probe service on a real grpc-java Netty server on 127.0.0.1, port 0, recording what it saw. */
final class ProbeServer implements AutoCloseable {
  /** Requests seen per key. */
  final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  /** The remaining time (ms) of the deadline the first call of each key arrived with (-1: none). */
  final Map<String, Long> deadlineMs = new ConcurrentHashMap<>();
  /** Hang calls the client gave up on, per key. */
  final Map<String, Boolean> hangCancelled = new ConcurrentHashMap<>();
  private final Server server;

  ProbeServer(ServerInterceptor... interceptors) throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(new Service(), interceptors))
        .build()
        .start();
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  private int count(ProbeRequest request) {
    Deadline deadline = Context.current().getDeadline();
    deadlineMs.putIfAbsent(request.getKey(), deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
    return requests.computeIfAbsent(request.getKey(), k -> new AtomicInteger()).incrementAndGet();
  }

  private final class Service extends ProbeServiceGrpc.ProbeServiceImplBase {
    @Override
    public void hang(ProbeRequest request, StreamObserver<ProbeReply> reply) {
      count(request);
      Context.current().addListener(c -> hangCancelled.put(request.getKey(), true), Runnable::run);
      // never answers
    }

    @Override
    public void flaky(ProbeRequest request, StreamObserver<ProbeReply> reply) {
      int attempt = count(request);
      if (attempt <= request.getFailFirst()) {
        reply.onError(Status.UNAVAILABLE.withDescription("attempt " + attempt + " fails on purpose").asRuntimeException());
        return;
      }
      reply.onNext(ProbeReply.newBuilder().setKey(request.getKey()).setAttempt(attempt).build());
      reply.onCompleted();
    }

    @Override
    public void hedged(ProbeRequest request, StreamObserver<ProbeReply> reply) {
      int attempt = count(request);
      if (attempt == 1) {
        return; // the first request never answers: only a hedged copy can
      }
      reply.onNext(ProbeReply.newBuilder().setKey(request.getKey()).setAttempt(attempt).build());
      reply.onCompleted();
    }
  }
}
