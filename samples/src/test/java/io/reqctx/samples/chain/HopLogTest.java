package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reqctx.samples.proto.Hop;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The hop log's memory: a served tier keeps no report, the demo's log keeps a bounded number. */
class HopLogTest {
  private static HopReport report(int n) {
    return new HopReport(Role.ORDER, "request-" + n, Hop.newBuilder().setService("s").build(), n, n + 1,
        OptionalLong.empty(), 0);
  }

  @Test
  void aLogWithAListenerHandsEveryReportOnAndKeepsNone() {
    AtomicInteger printed = new AtomicInteger();
    HopLog served = new HopLog(r -> printed.incrementAndGet());

    for (int i = 0; i < 100_000; i++) {
      served.report(report(i));
    }

    assertThat(printed).hasValue(100_000);
    assertThat(served.kept()).isZero();
    assertThatThrownBy(() -> served.awaitReports(1, Duration.ZERO)).hasMessageContaining("keeps none");
  }

  @Test
  void theDemosLogKeepsOnlyTheLastReportsUntilTheyAreRead() throws Exception {
    HopLog demo = new HopLog();

    for (int i = 0; i < HopLog.MAX_KEPT + 500; i++) {
      demo.report(report(i));
    }

    assertThat(demo.kept()).isEqualTo(HopLog.MAX_KEPT);
    List<HopReport> read = demo.awaitReports(4, Duration.ZERO);
    assertThat(read).hasSize(HopLog.MAX_KEPT);
    assertThat(read.get(0).requestId()).isEqualTo("request-500"); // the oldest were dropped
    assertThat(demo.kept()).isZero();
  }
}
