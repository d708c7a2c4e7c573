package io.reqctx.resilience4j.armeria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reqctx.testing.StrictLeakExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class PathMapTest {
  final PathMap<String> map = PathMap.of(Map.of(
      "/items/special", "exact",
      "prefix:/items/", "items",
      "prefix:/items/deep/", "deep",
      "prefix:/", "everything"));

  @Test
  void exactPathWinsOverEveryPrefix() {
    assertThat(map.find("/items/special")).isEqualTo("exact");
  }

  @Test
  void longestPrefixWins() {
    assertThat(map.find("/items/deep/1")).isEqualTo("deep");
    assertThat(map.find("/items/1")).isEqualTo("items");
    assertThat(map.find("/other")).isEqualTo("everything");
  }

  @Test
  void noMatchIsNull() {
    assertThat(PathMap.of(Map.of("/stock", 1)).find("/stock/1")).isNull();
  }

  @Test
  void mappingKeepsThePatterns() {
    assertThat(map.map(v -> v + "!").find("/items/deep/1")).isEqualTo("deep!");
  }

  @Test
  void relativeOrQueriedPatternsAreRejectedWithTheExpectedForm() {
    assertThatThrownBy(() -> PathMap.validate("stock")).hasMessageContaining("\"prefix:/items/\"");
    assertThatThrownBy(() -> PathMap.validate("prefix:items/")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathMap.validate("/stock?x=1")).isInstanceOf(IllegalArgumentException.class);
  }
}
