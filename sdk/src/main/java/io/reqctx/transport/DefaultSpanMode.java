package io.reqctx.transport;

import java.util.Locale;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The span mode of a config that does not choose one: {@link SpanMode#ENRICH} when OpenTelemetry's
 * Java agent is attached with its gRPC and Armeria instrumentation on (it then creates the server and
 * client spans and propagates the trace, and a second span per side would only duplicate its own),
 * otherwise {@link SpanMode#CREATE}.
 *
 * <p>The agent is recognised by its bootstrap class, which it puts on the bootstrap class path when
 * it starts; its switches are read as the agent reads them from system properties and environment
 * variables ({@code otel.javaagent.enabled}, {@code otel.instrumentation.common.default-enabled},
 * {@code otel.instrumentation.grpc.enabled}, {@code otel.instrumentation.armeria.enabled}). Switches
 * kept only in the agent's configuration file are not seen: such a setup chooses its mode with
 * {@code spans(...)}.
 */
final class DefaultSpanMode {
  private static final String AGENT_BOOTSTRAP_CLASS = "io.opentelemetry.javaagent.bootstrap.AgentInitializer";
  private static final boolean AGENT_LOADED = agentLoaded();

  private DefaultSpanMode() {}

  /** The mode for this JVM. */
  static SpanMode get() {
    return of(AGENT_LOADED, DefaultSpanMode::setting);
  }

  /**
   * The mode for a JVM where the agent is or is not loaded, with {@code setting} reading an agent
   * setting by its system property name (null when not set).
   */
  static SpanMode of(boolean agentLoaded, Function<String, @Nullable String> setting) {
    if (!agentLoaded || !enabled(setting, "otel.javaagent.enabled", true)) {
      return SpanMode.CREATE;
    }
    boolean byDefault = enabled(setting, "otel.instrumentation.common.default-enabled", true);
    boolean grpc = enabled(setting, "otel.instrumentation.grpc.enabled", byDefault);
    boolean armeria = enabled(setting, "otel.instrumentation.armeria.enabled", byDefault);
    return grpc && armeria ? SpanMode.ENRICH : SpanMode.CREATE;
  }

  private static boolean enabled(Function<String, @Nullable String> setting, String name, boolean otherwise) {
    String value = setting.apply(name);
    return value == null ? otherwise : Boolean.parseBoolean(value.trim());
  }

  /** A setting as the agent reads it: the system property, else the environment variable. */
  private static @Nullable String setting(String property) {
    String value = System.getProperty(property);
    if (value != null) {
      return value;
    }
    return System.getenv(property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
  }

  private static boolean agentLoaded() {
    try {
      Class.forName(AGENT_BOOTSTRAP_CLASS, false, null);
      return true;
    } catch (ClassNotFoundException | LinkageError | SecurityException notThere) {
      return false;
    }
  }
}
