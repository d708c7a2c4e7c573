package io.reqctx.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import io.opentelemetry.context.Scope;
import io.reqctx.LeakDetection;
import io.reqctx.CancellableCtx;
import io.reqctx.Tier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** Runs small test classes through the JUnit engine and checks which of them the extension fails. */
@ExtendWith(ContextHygieneExtension.class)
class StrictLeakExtensionTest {

  @Test
  void failsATestThatLeavesAScopeOpenAndShowsWhereItWasOpened() {
    Events tests = run(LeavesScopeOpen.class);

    tests.assertStatistics(stats -> stats.failed(1).succeeded(0));
    tests.assertThatEvents().haveExactly(1, event(test("leaks"),
        finishedWithFailure(message(m -> m.contains("a request scope was never closed") && m.contains("forgotten-1")))));
    Throwable failure = tests.failed().list().get(0).getRequiredPayload(
        org.junit.platform.engine.TestExecutionResult.class).getThrowable().orElseThrow();
    assertThat(failure.getCause().getStackTrace())
        .anyMatch(frame -> frame.getClassName().endsWith("LeavesScopeOpen"));
  }

  @Test
  void failsATestDuringWhichALeakIsReported() {
    Events tests = run(LeaksAChild.class);

    tests.assertStatistics(stats -> stats.failed(1));
    tests.assertThatEvents().haveExactly(1, event(test("leaks"),
        finishedWithFailure(message(m -> m.contains("child scope was still open")))));
  }

  @Test
  void failsATestThatLeavesAContextAttached() {
    Events tests = run(LeavesContextAttached.class);

    tests.assertStatistics(stats -> stats.failed(1));
    tests.assertThatEvents().haveExactly(1, event(test("leaks"),
        finishedWithFailure(message(m -> m.contains("left a context attached")))));
  }

  @Test
  void passesACleanTestAndRestoresTheMode() {
    LeakDetection.Mode before = LeakDetection.mode();

    run(Clean.class).assertStatistics(stats -> stats.succeeded(1).failed(0));

    assertThat(LeakDetection.mode()).isEqualTo(before);
  }

  private static Events run(Class<?> testClass) {
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass)).execute().testEvents();
  }

  @ExtendWith(StrictLeakExtension.class)
  static class LeavesScopeOpen {
    static CancellableCtx leaked;

    @Test
    @SuppressWarnings("MustBeClosedChecker") // the leak under test
    void leaks() {
      leaked = CancellableCtx.newRoot(Tier.SERVICE).requestId("forgotten-1").open();
    }

    @AfterAll
    static void closeAfterTheExtensionHasLooked() {
      leaked.close();
    }
  }

  @ExtendWith(StrictLeakExtension.class)
  static class LeaksAChild {
    @Test
    @SuppressWarnings("MustBeClosedChecker") // the leak under test
    void leaks() {
      try (CancellableCtx parent = CancellableCtx.newRoot(Tier.SERVICE).open()) {
        parent.child(Tier.CACHE);
      }
    }
  }

  @ExtendWith(StrictLeakExtension.class)
  static class LeavesContextAttached {
    static CancellableCtx scope;
    static Scope attached;

    @Test
    @SuppressWarnings("MustBeClosedChecker") // the leak under test
    void leaks() {
      scope = CancellableCtx.newRoot(Tier.SERVICE).open();
      attached = scope.makeCurrent();
    }

    @AfterAll
    static void detachAfterTheExtensionHasLooked() {
      attached.close();
      scope.close();
    }
  }

  @ExtendWith(StrictLeakExtension.class)
  static class Clean {
    @Test
    void closesEverything() {
      try (CancellableCtx scope = CancellableCtx.newRoot(Tier.SERVICE).open(); Scope ignored = scope.makeCurrent()) {
        assertThat(scope.ctx().isCancelled()).isFalse();
      }
    }
  }
}
