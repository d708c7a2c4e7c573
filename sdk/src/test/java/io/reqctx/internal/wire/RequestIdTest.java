package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.StrictLeakExtension;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(StrictLeakExtension.class)
class RequestIdTest {

  @ParameterizedTest(name = "\"{0}\" is valid")
  @ValueSource(
      strings = {
        "955e1da9-4b1f-4e64-a198-40195406cfa7", // UUID, as Envoy generates
        "3f0c2a9be1d84c7f9a51e06b2d7c4e18", // hex
        "q83vEjRWeJA=", // base64 with padding
        "q83vEjRW+/A", // base64
        "q83vEjRW-_A", // base64url
        "req:01HZX3K9V2~a.b",
        "a",
      })
  void commonIdFormatsAreValid(String id) {
    assertThat(RequestId.isValid(id)).isTrue();
  }

  @ParameterizedTest(name = "\"{0}\" is invalid")
  @ValueSource(
      strings = {
        "",
        "id with spaces",
        " abc",
        "abc\r\nx-admin: true",
        "abc;def",
        "a,b",
        "a\"b",
        "a%20b",
        "ümlaut",
        "\u0000",
      })
  void idsThatCouldBreakHeadersOrLogsAreInvalid(String id) {
    assertThat(RequestId.isValid(id)).isFalse();
  }

  @Test
  void lengthIsLimitedTo128() {
    assertThat(RequestId.isValid("a".repeat(128))).isTrue();
    assertThat(RequestId.isValid("a".repeat(129))).isFalse();
    assertThat(RequestId.isValid("a".repeat(64 * 1024))).isFalse();
  }

  @Test
  void nullIsInvalid() {
    assertThat(RequestId.isValid(null)).isFalse();
  }

  @Test
  void generatedIdsAre32LowerCaseHexAndValid() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = RequestId.generate();
      assertThat(id).matches("[0-9a-f]{32}");
      assertThat(RequestId.isValid(id)).isTrue();
      seen.add(id);
    }
    assertThat(seen).hasSize(10_000);
  }

}
