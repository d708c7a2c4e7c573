package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reqctx.internal.registry.TierRegistry;
import io.reqctx.testing.StrictLeakExtension;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class TierTest {

  @AfterEach
  void forgetTheTiersDefinedHere() { // the registry is JVM-wide: leave nothing for later test classes
    TierRegistry.forget("database-test");
    TierRegistry.forget("queue-test");
  }

  @Test
  void defaultsAreOrderedWithTheirCaps() {
    assertThat(Tier.GATEWAY.isAbove(Tier.SERVICE)).isTrue();
    assertThat(Tier.SERVICE.isAbove(Tier.CACHE)).isTrue();
    assertThat(Tier.GATEWAY.cap()).isEqualTo(Duration.ofSeconds(5));
    assertThat(Tier.SERVICE.cap()).isEqualTo(Duration.ofSeconds(3));
    assertThat(Tier.CACHE.cap()).isEqualTo(Duration.ofMillis(800));
  }

  @Test
  void userTiersAreFoundByNameAndRedefiningIdenticallyReturnsTheSameTier() {
    Tier database = Tier.define("database-test", 50, Duration.ofMillis(500));
    assertThat(Tier.forName("database-test")).containsSame(database);
    assertThat(Tier.define("database-test", 50, Duration.ofMillis(500))).isSameAs(database);
    assertThat(Tier.forName("nope")).isEmpty();
  }

  @Test
  void conflictingRedefinitionAndBadNamesAreRejected() {
    Tier.define("queue-test", 40, Duration.ofMillis(200));
    assertThatThrownBy(() -> Tier.define("queue-test", 41, Duration.ofMillis(200)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already defined");
    assertThatThrownBy(() -> Tier.define("Bad Name", 1, Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reqctx-tier");
    assertThatThrownBy(() -> Tier.define("zero", 1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive cap");
  }

  @Test
  void aForgottenTierIsNoLongerFoundAndTheBuiltInOnesCannotBeForgotten() {
    Tier.define("forgotten-test", 30, Duration.ofMillis(100));

    TierRegistry.forget("forgotten-test");

    assertThat(Tier.forName("forgotten-test")).isEmpty();
    assertThatThrownBy(() -> TierRegistry.forget("cache")).isInstanceOf(IllegalArgumentException.class);
    assertThat(Tier.forName("cache")).containsSame(Tier.CACHE);
  }
}
