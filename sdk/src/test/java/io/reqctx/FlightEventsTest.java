package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.testing.ContextHygieneExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A real flight recording holds the cancel flow. Not strict: it leaks a child on purpose. */
@ExtendWith(ContextHygieneExtension.class)
class FlightEventsTest {

  @Test
  @SuppressWarnings("MustBeClosedChecker") // leaks a child on purpose
  void recordingContainsScopeCancelDeadlineAndLeakEvents(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("reqctx.jfr");
    try (Recording recording = new Recording()) {
      for (String name : List.of("io.reqctx.Scope", "io.reqctx.Cancel", "io.reqctx.DeadlineExceeded", "io.reqctx.Leak")) {
        recording.enable(name).withThreshold(Duration.ZERO);
      }
      recording.start();

      try (CancellableCtx cancelled = CancellableCtx.newRoot(Tier.GATEWAY).requestId("jfr-cancel").open()) {
        cancelled.cancel(new java.util.concurrent.CancellationException("client went away"));
      }
      try (CancellableCtx expired = CancellableCtx.newRoot(Tier.CACHE).requestId("jfr-deadline").budget(Duration.ZERO).open()) {
        assertThat(expired.ctx().isCancelled()).isTrue();
      }
      CancellableCtx parent = CancellableCtx.newRoot(Tier.SERVICE).requestId("jfr-leak").open();
      parent.child(Tier.CACHE);
      parent.close();

      recording.stop();
      recording.dump(file);
    }
    assertThat(Files.size(file)).isPositive();

    List<RecordedEvent> events = RecordingFile.readAllEvents(file);
    assertThat(events).anySatisfy(e -> {
      assertThat(e.getEventType().getName()).isEqualTo("io.reqctx.Scope");
      assertThat(e.getString("requestId")).isEqualTo("jfr-cancel");
      assertThat(e.getString("outcome")).isEqualTo("CANCELLED");
    });
    assertThat(events).anySatisfy(e -> {
      assertThat(e.getEventType().getName()).isEqualTo("io.reqctx.Cancel");
      assertThat(e.getString("cause")).contains("client went away");
    });
    assertThat(events).anySatisfy(e -> {
      assertThat(e.getEventType().getName()).isEqualTo("io.reqctx.DeadlineExceeded");
      assertThat(e.getString("requestId")).isEqualTo("jfr-deadline");
      assertThat(e.getString("tier")).isEqualTo("cache");
    });
    assertThat(events).anySatisfy(e -> {
      assertThat(e.getEventType().getName()).isEqualTo("io.reqctx.Leak");
      assertThat(e.getString("kind")).isEqualTo("CHILD_OPEN_AT_PARENT_CLOSE");
      assertThat(e.getString("description")).contains("jfr-leak");
    });
  }
}
