package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class WireHeadersTest {

  private static final List<Class<?>> CODECS =
      List.of(
          WireHeaders.class,
          GrpcTimeout.class,
          BudgetMillis.class,
          EnvoyExpectedTimeout.class,
          RequestId.class,
          HopCount.class,
          AttemptNumber.class,
          TierName.class,
          KeyHeader.class);

  /** Codecs that are values (records) rather than holders of static methods. */
  private static final List<Class<?>> VALUE_CODECS = List.of(TraceParent.class, TraceState.class, Baggage.class);

  @ParameterizedTest(name = "{0} is internal")
  @ValueSource(
      strings = {
        "reqctx-tier",
        "reqctx-hop",
        "reqctx-attempt",
        "reqctx-budget-ms",
        "reqctx-key-tenant",
        "reqctx-unknown-future-header",
        "Reqctx-Hop",
        "REQCTX-TIER"
      })
  void reqctxPrefixedHeadersAreInternal(String name) {
    assertThat(WireHeaders.isReqctxHeader(name)).isTrue();
  }

  @ParameterizedTest(name = "{0} is not internal")
  @ValueSource(
      strings = {
        "grpc-timeout",
        "x-request-id",
        "traceparent",
        "tracestate",
        "baggage",
        "x-envoy-expected-rq-timeout-ms",
        "reqctx",
        "x-reqctx-tier",
        ""
      })
  void otherHeadersAreNotInternal(String name) {
    assertThat(WireHeaders.isReqctxHeader(name)).isFalse();
  }

  @Test
  void everyHeaderNameIsLowerCaseGrpcMetadataName() throws IllegalAccessException {
    for (Field field : WireHeaders.class.getFields()) {
      String name = (String) field.get(null);
      assertThat(name).as(field.getName()).matches("[a-z0-9_.-]+");
    }
  }

  @Test
  void eachHeaderHasOnePublicNameTheOneInWireHeaders() throws IllegalAccessException {
    List<Class<?>> codecs = new java.util.ArrayList<>(CODECS.subList(1, CODECS.size()));
    codecs.addAll(VALUE_CODECS);
    for (Class<?> codec : codecs) {
      for (Field field : codec.getFields()) {
        if (field.getType() == String.class && Modifier.isStatic(field.getModifiers())) {
          assertThat(isAWireHeadersValue((String) field.get(null)))
              .as(codec.getSimpleName() + "." + field.getName() + " repeats a header name of WireHeaders").isFalse();
        }
      }
    }
  }

  private static boolean isAWireHeadersValue(String value) throws IllegalAccessException {
    for (Field field : WireHeaders.class.getFields()) {
      if (value.equals(field.get(null))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void codecsAreFinalClassesWithOnlyAPrivateConstructor() {
    for (Class<?> codec : CODECS) {
      assertThat(Modifier.isFinal(codec.getModifiers())).as(codec.getSimpleName()).isTrue();
      Constructor<?>[] constructors = codec.getDeclaredConstructors();
      assertThat(constructors).as(codec.getSimpleName()).hasSize(1);
      assertThat(Modifier.isPrivate(constructors[0].getModifiers())).isTrue();
    }
  }
}
