package io.reqctx.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CoreDemoTest {

  @Test
  void everyScenarioHoldsAndSaysSo() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean ok = new Main.CoreDemo(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String printed = bytes.toString(StandardCharsets.UTF_8);

    assertThat(ok).as(printed).isTrue();
    assertThat(printed).contains("PASS: each hop received less").contains("not sent: budget")
        .contains("PASS: the task stopped").doesNotContain("FAIL");
  }
}
