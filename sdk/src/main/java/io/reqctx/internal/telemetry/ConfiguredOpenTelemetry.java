package io.reqctx.internal.telemetry;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.LoggerProvider;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import org.jspecify.annotations.Nullable;

/**
 * Not API: the {@link OpenTelemetry} of one transport config, resolved at each use, never when the
 * config is built. With an instance given to the builder it is that instance. Without one it is
 * {@link GlobalOpenTelemetry}'s, read through {@link GlobalOpenTelemetry#isSet()} so that reading it
 * never freezes the global to a no-op: until the application sets the global, calls see
 * {@link OpenTelemetry#noop()}; from the first use after it is set, they see (and keep) the global
 * instance. It also holds the config's {@link Metrics}, so nothing static keeps any OpenTelemetry
 * reachable.
 *
 * <p>When OpenTelemetry's global autoconfiguration is switched on ({@code
 * -Dotel.java.global-autoconfigure.enabled=true} or {@code OTEL_JAVA_GLOBAL_AUTOCONFIGURE_ENABLED=true},
 * with {@code opentelemetry-sdk-extension-autoconfigure} on the class path), the first use reads
 * {@link GlobalOpenTelemetry#get()}, which builds the SDK from the {@code OTEL_*} settings and makes it
 * the global: the application needs no line of its own.
 */
public final class ConfiguredOpenTelemetry implements OpenTelemetry {
  private static final String GLOBAL_AUTOCONFIGURE = "otel.java.global-autoconfigure.enabled";
  private final @Nullable OpenTelemetry explicit;
  private volatile @Nullable OpenTelemetry global;
  private volatile @Nullable Metrics metrics;

  private ConfiguredOpenTelemetry(@Nullable OpenTelemetry explicit) {
    this.explicit = explicit;
    // A given instance is known now: build its instruments with the config, not on its first call.
    this.metrics = explicit == null ? null : Metrics.create(explicit);
  }

  /** {@code explicit}, or the global instance resolved at each use when null. */
  public static ConfiguredOpenTelemetry of(@Nullable OpenTelemetry explicit) {
    return new ConfiguredOpenTelemetry(explicit);
  }

  /** The instance calls use now. */
  public OpenTelemetry resolve() {
    if (explicit != null) {
      return explicit;
    }
    OpenTelemetry resolved = global;
    if (resolved != null) {
      return resolved;
    }
    if (!GlobalOpenTelemetry.isSet() && !globalAutoconfigureEnabled()) {
      return OpenTelemetry.noop();
    }
    resolved = GlobalOpenTelemetry.get();
    global = resolved;
    return resolved;
  }

  /** OpenTelemetry's own switch, read as {@link GlobalOpenTelemetry#get()} reads it. */
  private static boolean globalAutoconfigureEnabled() {
    String value = System.getProperty(GLOBAL_AUTOCONFIGURE);
    if (value == null) {
      value = System.getenv("OTEL_JAVA_GLOBAL_AUTOCONFIGURE_ENABLED");
    }
    return value != null && Boolean.parseBoolean(value.trim());
  }

  /** The reqctx metrics recorded through {@link #resolve()}. */
  Metrics metrics() {
    OpenTelemetry resolved = resolve();
    Metrics current = metrics;
    if (current == null || current.source() != resolved) {
      current = Metrics.create(resolved);
      metrics = current;
    }
    return current;
  }

  @Override
  public TracerProvider getTracerProvider() {
    return resolve().getTracerProvider();
  }

  @Override
  public MeterProvider getMeterProvider() {
    return resolve().getMeterProvider();
  }

  @Override
  public LoggerProvider getLogsBridge() {
    return resolve().getLogsBridge();
  }

  @Override
  public ContextPropagators getPropagators() {
    return resolve().getPropagators();
  }

  @Override
  public String toString() {
    return explicit != null ? explicit.toString() : "GlobalOpenTelemetry (resolved at use: " + resolve() + ")";
  }
}
