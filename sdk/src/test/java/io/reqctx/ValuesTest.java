package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Values behave like an immutable map for keys with a bit and for keys past the 64th alike. */
@ExtendWith(StrictLeakExtension.class)
class ValuesTest {

  @Test
  void behavesLikeAnImmutableMapForAnyNumberOfKeys() {
    List<CtxKey<Integer>> keys = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      keys.add(CtxKey.local("k" + i)); // with other tests' keys, well past the 64 that get a bit
    }
    Random random = new Random(64);
    Map<CtxKey<Integer>, Integer> expected = new HashMap<>();
    Values values = Values.EMPTY;
    List<Values> history = new ArrayList<>();
    List<Map<CtxKey<Integer>, Integer>> expectedHistory = new ArrayList<>();
    for (int step = 0; step < 2_000; step++) {
      CtxKey<Integer> key = keys.get(random.nextInt(keys.size()));
      values = values.with(key, step);
      expected.put(key, step);
      if (step % 100 == 0) {
        history.add(values);
        expectedHistory.add(new HashMap<>(expected));
      }
    }
    for (int i = 0; i < history.size(); i++) {
      Values snapshot = history.get(i);
      Map<CtxKey<Integer>, Integer> then = expectedHistory.get(i);
      for (CtxKey<Integer> key : keys) {
        assertThat(snapshot.get(key)).as("snapshot %d, %s", i, key).isEqualTo(then.get(key));
      }
      Map<CtxKey<?>, Object> visited = new HashMap<>();
      snapshot.forEach(visited::put);
      assertThat(visited).isEqualTo(then);
    }
  }
}
