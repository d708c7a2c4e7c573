package io.reqctx.internal.transport;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.api.trace.TracerProvider;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/** An OpenTelemetry whose metrics backend fails every recording: to prove that a failing step cleans up. */
final class BrokenMetrics {
  private BrokenMetrics() {}

  /** {@code working}'s tracing and propagation, with a meter provider whose instruments throw when used. */
  static OpenTelemetry openTelemetry(OpenTelemetry working) {
    MeterProvider meters = proxy(MeterProvider.class);
    return new OpenTelemetry() {
      @Override
      public TracerProvider getTracerProvider() {
        return working.getTracerProvider();
      }

      @Override
      public MeterProvider getMeterProvider() {
        return meters;
      }

      @Override
      public ContextPropagators getPropagators() {
        return working.getPropagators();
      }
    };
  }

  /** Builders and instruments as proxies of themselves; recording throws. */
  private static <T> T proxy(Class<T> type) {
    InvocationHandler handler = (Object self, Method method, Object[] args) -> {
      String name = method.getName();
      if (name.equals("record") || name.equals("add")) {
        throw new IllegalStateException("metrics backend down");
      }
      if (name.equals("toString")) {
        return "BrokenMetrics." + type.getSimpleName();
      }
      Class<?> returned = method.getReturnType();
      return returned.isInterface() ? proxy(returned) : null;
    };
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
  }
}
