package io.reqctx.samples.chain;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The tracing a fleet has without reqctx, for {@link ChainMode#OTEL_TRACING_ONLY}: a SERVER span per
 * inbound gRPC call and per gateway request, a CLIENT span per outgoing gRPC call, W3C trace context
 * carried in the headers through the configured propagators, the span current while the handler
 * runs — what OpenTelemetry's gRPC and HTTP server instrumentation does, written against the
 * OpenTelemetry API only (no RPC metrics). The baseline that traces as much as reqctx does, for
 * {@code bench/run-throughput.sh}.
 *
 * <pre>{@code
 * ServerServiceDefinition traced = ServerInterceptors.intercept(service.bindService(), OtelTracingOnly.server(otel));
 * Channel toNext = ClientInterceptors.intercept(channel, OtelTracingOnly.client(otel));
 * }</pre>
 */
final class OtelTracingOnly {
  private static final String SCOPE = "io.reqctx.samples.otel-tracing-only";

  private static final TextMapGetter<Metadata> METADATA = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public @Nullable String get(@Nullable Metadata carrier, String key) {
      return carrier == null ? null : carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
  };

  private static final TextMapSetter<Metadata> METADATA_SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
    }
  };

  private static final TextMapGetter<RequestHeaders> HTTP = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(RequestHeaders carrier) {
      return carrier.names().stream().map(Object::toString).toList();
    }

    @Override
    public @Nullable String get(@Nullable RequestHeaders carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private OtelTracingOnly() {}

  /** SERVER spans for a gRPC server, current while the handler runs. */
  static ServerInterceptor server(OpenTelemetry otel) {
    Tracer tracer = otel.getTracer(SCOPE);
    TextMapPropagator propagator = otel.getPropagators().getTextMapPropagator();
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        Context parent = propagator.extract(Context.root(), headers, METADATA);
        Span span = tracer.spanBuilder(call.getMethodDescriptor().getFullMethodName()).setParent(parent)
            .setSpanKind(SpanKind.SERVER).startSpan();
        Context context = parent.with(span);
        Ending ending = new Ending(span);
        ServerCall<ReqT, RespT> closing = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            ending.end(status);
            super.close(status, trailers);
          }
        };
        ServerCall.Listener<ReqT> listener;
        try (Scope ignored = context.makeCurrent()) {
          listener = next.startCall(closing, headers);
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
          @Override
          public void onMessage(ReqT message) {
            try (Scope ignored = context.makeCurrent()) {
              super.onMessage(message);
            }
          }

          @Override
          public void onHalfClose() {
            try (Scope ignored = context.makeCurrent()) {
              super.onHalfClose();
            }
          }

          @Override
          public void onCancel() {
            ending.end(Status.CANCELLED);
            try (Scope ignored = context.makeCurrent()) {
              super.onCancel();
            }
          }

          @Override
          public void onComplete() {
            try (Scope ignored = context.makeCurrent()) {
              super.onComplete();
            }
          }

          @Override
          public void onReady() {
            try (Scope ignored = context.makeCurrent()) {
              super.onReady();
            }
          }
        };
      }
    };
  }

  /** CLIENT spans for a gRPC channel, children of the current context, propagated in the call's headers. */
  static ClientInterceptor client(OpenTelemetry otel) {
    Tracer tracer = otel.getTracer(SCOPE);
    TextMapPropagator propagator = otel.getPropagators().getTextMapPropagator();
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
          CallOptions callOptions, Channel next) {
        Context parent = Context.current();
        Span span = tracer.spanBuilder(method.getFullMethodName()).setParent(parent).setSpanKind(SpanKind.CLIENT)
            .startSpan();
        Ending ending = new Ending(span);
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {
          @Override
          public void start(Listener<RespT> responseListener, Metadata headers) {
            propagator.inject(parent.with(span), headers, METADATA_SETTER);
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(responseListener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                ending.end(status);
                super.onClose(status, trailers);
              }
            }, headers);
          }

          @Override
          public void cancel(@Nullable String message, @Nullable Throwable cause) {
            ending.end(Status.CANCELLED);
            super.cancel(message, cause);
          }
        };
      }
    };
  }

  /** A SERVER span per request of an Armeria HTTP service, current while it serves, ended with the response. */
  static Function<? super HttpService, ? extends HttpService> gateway(OpenTelemetry otel) {
    Tracer tracer = otel.getTracer(SCOPE);
    TextMapPropagator propagator = otel.getPropagators().getTextMapPropagator();
    return delegate -> new SimpleDecoratingHttpService(delegate) {
      @Override
      public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        Context parent = propagator.extract(Context.root(), req.headers(), HTTP);
        Span span = tracer.spanBuilder(req.method().name() + " " + ctx.config().route().patternString())
            .setParent(parent).setSpanKind(SpanKind.SERVER).startSpan();
        ctx.log().whenComplete().thenAccept(log -> {
          if (log.responseHeaders().status().isServerError()) {
            span.setStatus(StatusCode.ERROR);
          }
          span.end();
        });
        try (Scope ignored = parent.with(span).makeCurrent()) {
          return unwrap().serve(ctx, req);
        }
      }
    };
  }

  /** Ends a span once, with an error status unless {@code OK}. */
  private static final class Ending {
    private final Span span;
    private final AtomicBoolean ended = new AtomicBoolean();

    Ending(Span span) {
      this.span = span;
    }

    void end(Status status) {
      if (ended.compareAndSet(false, true)) {
        if (!status.isOk()) {
          span.setStatus(StatusCode.ERROR, status.getCode().name());
        }
        span.end();
      }
    }
  }
}
