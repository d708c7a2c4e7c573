package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** One hand-made broken fleet per rule, each with the exact finding: rule, line, numbers. */
class FleetLintTest {

  private static Finding only(LintReport report) {
    assertThat(report.findings()).as(report.render(ReportFormat.TEXT)).hasSize(1);
    return report.findings().get(0);
  }

  @Test
  void calleeWhoseBudgetExceedsWhatTheCallerCanGiveIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          front:
            tier: gateway
            methods:
              shop.Front/Get:
                budget: 1s
                calls:
                  - shop.Orders/Get
          orders:
            tier: service
            methods:
              shop.Orders/Get:
                budget: 2s
        """));
    assertThat(f.rule()).isEqualTo(Rule.CALLEE_EXCEEDS_CALLER);
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 9, 13));
    // reserve = 5 ms + 2 % of 1000 ms = 25 ms; 1000 - 25 = 975 ms < 2000 ms
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "callerBudgetMs", 1000L, "reserveMs", 25L, "availableMs", 975L, "calleeBudgetMs", 2000L));
    assertThat(f.message()).contains("at most 975ms (budget 1000ms - reserve 25ms)");
    // 0.98 x 2046 - 5 = 2000.08 >= 2000; 0.98 x 2045 - 5 = 1999.1 < 2000
    assertThat(f.fix()).contains("at most 975ms").contains("at least 2046ms");
  }

  @Test
  void optionalCallThatCannotGetItsBudgetIsAWarning() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          front:
            tier: gateway
            methods:
              shop.Front/Get:
                budget: 1s
                calls:
                  - call: shop.Orders/Get
                    optional: true
          orders:
            tier: service
            methods:
              shop.Orders/Get:
                budget: 2s
        """));
    assertThat(f.rule()).isEqualTo(Rule.CALLEE_EXCEEDS_CALLER);
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
  }

  private static final String TWO_CALLS = """
      fleet: t
      services:
        front:
          tier: gateway
          methods:
            shop.Front/Get:
              budget: 1s
              calls:
      CALLS
        auth:
          tier: service
          methods:
            shop.Auth/Check:
              budget: 400ms
        orders:
          tier: service
          methods:
            shop.Orders/Get:
              budget: 600ms
      """;

  @Test
  void sequentialCallsThatSumPastTheBudgetAreReportedAtTheFirstCallThatIsCut() {
    Finding f = only(TestFleets.lint(TWO_CALLS.replace("CALLS\n", """
                  - shop.Auth/Check
                  - shop.Orders/Get
        """)));
    assertThat(f.rule()).isEqualTo(Rule.SEQUENCE_EXCEEDS_BUDGET);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 10, 13));
    // step 1 takes 400 ms; 600 ms remain; reserve 5 + 12 = 17 ms; orders gets 583 ms of its 600 ms
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "callerBudgetMs", 1000L, "step", 2L, "spentBeforeMs", 400L, "remainingMs", 600L, "reserveMs", 17L,
        "calleeBudgetMs", 600L, "sentMs", 583L, "sequenceMs", 1000L));
  }

  @Test
  void theSameCallsInAParallelGroupFit() {
    LintReport report = TestFleets.lint(TWO_CALLS.replace("CALLS\n", """
                  - parallel:
                      - shop.Auth/Check
                      - shop.Orders/Get
        """));
    assertThat(report.findings()).isEmpty();
  }

  @Test
  void retryPolicyLongerThanTheBudgetIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          orders:
            tier: service
            methods:
              shop.Orders/Get:
                budget: 500ms
                idempotent: true
                retry:
                  attempts: 3
                  perAttempt: 200ms
                  backoff: {initial: 10ms, max: 50ms, multiplier: 2}
        """));
    assertThat(f.rule()).isEqualTo(Rule.RETRY_CANNOT_FIT);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 10, 11));
    // 3 x 200 ms + (10 + 20) ms = 630 ms > 500 ms; two attempts need 410 ms
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "attempts", 3L, "perAttemptMs", 200L, "backoffMs", 30L, "neededMs", 630L, "budgetMs", 500L,
        "fittingAttempts", 2L));
    assertThat(f.fix()).contains("lower attempts to 2").contains("perAttempt to 156ms").contains("630ms");
  }

  @Test
  void retriesStackedOnThreeLayersMultiplyPastTheLimit() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        defaults:
          maxRetryAmplification: 10
        services:
          a:
            tier: gateway
            methods:
              shop.A/Run:
                budget: 5s
                calls: [shop.B/Run]
          b:
            tier: service
            methods:
              shop.B/Run:
                budget: 2s
                idempotent: true
                retry: {attempts: 3, perAttempt: 300ms, backoff: {initial: 10ms, max: 50ms}}
                calls: [shop.C/Run]
              shop.C/Run:
                budget: 1s
                idempotent: true
                retry: {attempts: 3, perAttempt: 300ms, backoff: {initial: 10ms, max: 50ms}}
                calls: [shop.D/Run]
          d:
            tier: cache
            methods:
              shop.D/Run:
                budget: 800ms
                idempotent: true
                retry: {attempts: 3, perAttempt: 200ms, backoff: {initial: 10ms, max: 50ms}}
        """));
    assertThat(f.rule()).isEqualTo(Rule.RETRY_AMPLIFICATION);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 23, 17));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "amplification", 27L, "limit", 10L, "path", "shop.A/Run -> shop.B/Run x3 -> shop.C/Run x3 -> shop.D/Run x3"));
    assertThat(f.message()).contains("(3 x 3 x 3 = 27 > limit 10)");
  }

  @Test
  void cacheCallingTheGatewayBreaksTheTierOrder() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          cache:
            tier: cache
            methods:
              shop.Cache/Get:
                budget: 500ms
                calls:
                  - shop.Front/Get
          front:
            tier: gateway
            methods:
              shop.Front/Get:
                budget: 400ms
        """));
    assertThat(f.rule()).isEqualTo(Rule.TIER_ORDER);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 9, 13));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "callerTier", "cache", "callerRank", 100L, "calleeTier", "gateway", "calleeRank", 300L));
  }

  @Test
  void sameTierCallsAreViolationsWhenTheFleetSaysSo() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        defaults:
          sameTierCalls: violation
        services:
          a:
            tier: service
            methods:
              shop.A/Run:
                budget: 1s
                calls: [shop.B/Run]
          b:
            tier: service
            methods:
              shop.B/Run:
                budget: 500ms
        """));
    assertThat(f.rule()).isEqualTo(Rule.TIER_ORDER);
    assertThat(f.fix()).contains("sameTierCalls: allowed");
  }

  @Test
  void callCycleIsReportedOnceAtTheCallThatClosesIt() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          s:
            tier: service
            methods:
              shop.A/Run:
                longLived: true
                calls: [shop.B/Run]
              shop.B/Run:
                budget: 1s
                calls: [shop.C/Run]
              shop.C/Run:
                budget: 500ms
                calls: [shop.A/Run]
        """));
    assertThat(f.rule()).isEqualTo(Rule.CALL_CYCLE);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 14, 17));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "length", 3L, "cycle", "shop.A/Run -> shop.B/Run -> shop.C/Run -> shop.A/Run"));
  }

  @Test
  void methodWithoutBudgetBelowABudgetedOneIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          front:
            tier: gateway
            methods:
              shop.Front/Get:
                budget: 2s
                calls: [shop.Cache/Get]
          cache:
            tier: cache
            methods:
              shop.Cache/Get:
                idempotent: true
        """));
    assertThat(f.rule()).isEqualTo(Rule.MISSING_BUDGET);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 12, 7));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "tierCapMs", 800L, "budgetedMethod", "shop.Front/Get", "budgetedMs", 2000L));
  }

  @Test
  void streamingMethodWithoutLongLivedPolicyIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          feed:
            tier: service
            methods:
              shop.Feed/Watch:
                budget: 1s
                streaming: server
        """));
    assertThat(f.rule()).isEqualTo(Rule.STREAMING_WITHOUT_LONG_LIVED);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 8, 20));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of("streaming", "server", "cutAfterMs", 1000L));
  }

  @Test
  void streamingMethodDeclaredLongLivedIsClean() {
    assertThat(TestFleets.lint("""
        fleet: t
        services:
          feed:
            tier: service
            methods:
              shop.Feed/Watch:
                streaming: bidi
                longLived: {maxDuration: 30m}
        """).findings()).isEmpty();
  }

  @Test
  void hedgingWhoseLastRequestStartsTooLateIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          cache:
            tier: cache
            methods:
              shop.Cache/Get:
                budget: 300ms
                idempotent: true
                hedging:
                  attempts: 4
                  delay: 100ms
        """));
    assertThat(f.rule()).isEqualTo(Rule.HEDGING_CANNOT_FIT);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 10, 11));
    // the 4th request starts at 300 ms: 0 ms left, reserve 5 ms -> -5 ms < 10 ms; the 3rd has 100 - 7 = 93 ms
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "attempts", 4L, "delayMs", 100L, "lastStartMs", 300L, "budgetMs", 300L, "reserveMs", 5L,
        "leftForLastMs", -5L, "minimumViableMs", 10L, "fittingAttempts", 3L));
  }

  @Test
  void callToAMethodNoServiceDeclaresIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          front:
            tier: gateway
            methods:
              shop.Front/Get:
                budget: 1s
                calls: [shop.Nowhere/Get]
        """));
    assertThat(f.rule()).isEqualTo(Rule.UNKNOWN_CALLEE);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 8, 17));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of("callee", "shop.Nowhere/Get"));
  }

  @Test
  void budgetAboveTheTierCapIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          cache:
            tier: cache
            methods:
              shop.Cache/Get:
                budget: 1s
        """));
    assertThat(f.rule()).isEqualTo(Rule.BUDGET_ABOVE_TIER_CAP);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 7, 17));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of("budgetMs", 1000L, "tierCapMs", 800L));
  }

  @Test
  void retryOfAMethodNotMarkedIdempotentIsAWarning() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          pay:
            tier: service
            methods:
              shop.Pay/Charge:
                budget: 1s
                retry: {attempts: 2, perAttempt: 400ms, backoff: {initial: 10ms, max: 10ms}}
        """));
    assertThat(f.rule()).isEqualTo(Rule.RETRY_NOT_IDEMPOTENT);
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.location()).isEqualTo(Location.of("fleet.yaml", 8, 16));
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of("attempts", 2L));
  }

  @Test
  void moreAttemptsThanGrpcClientsMakeIsReported() {
    Finding f = only(TestFleets.lint("""
        fleet: t
        services:
          cache:
            tier: cache
            methods:
              shop.Cache/Get:
                budget: 800ms
                idempotent: true
                retry: {attempts: 6, perAttempt: 100ms, backoff: {initial: 5ms, max: 5ms}}
        """));
    assertThat(f.rule()).isEqualTo(Rule.ATTEMPTS_ABOVE_GRPC_LIMIT);
    assertThat(f.numbers()).containsExactlyInAnyOrderEntriesOf(Map.of("attempts", 6L, "grpcLimit", 5L));
  }

  @Test
  void sampleFleetLintsClean() {
    LintReport report = FleetLint.check(
        FleetFiles.parse("sample.yaml", TestFleets.sampleFleet(), TestFleets.sampleProtos()));
    assertThat(report.findings()).as(report.render(ReportFormat.TEXT)).isEmpty();
    assertThat(report.fleet().services()).containsOnlyKeys("gateway", "order", "inventory", "cache");
    assertThat(report.fleet().method("reqctx.samples.v1.CacheService/Get").orElseThrow().effectiveBudget())
        .contains(java.time.Duration.ofMillis(800));
  }
}
