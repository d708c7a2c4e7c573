package io.reqctx.budgets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reqctx.Tier;
import io.reqctx.transport.Trust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetFilesTest {

  @Test
  void readsEveryFieldOfTheFormat() {
    Fleet fleet = TestFleets.parse("""
        fleet: shop
        tiers:
          database: {rank: 50, cap: 500ms}
        defaults:
          reserve: {floor: 3ms, fraction: 0.05}
          minimumViableBudget: 20ms
          maxRetryAmplification: 7
          retryThrottling: {maxTokens: 20, tokenRatio: 0.2}
        services:
          front:
            tier: gateway
            trust: edge
            reserve: {floor: 10ms, fraction: 0}
            methods:
              GET /orders:
                budget: 1.5s
                calls:
                  - shop.Db/Query
                  - parallel:
                      - call: shop.Db/Scan
                        optional: true
                      - shop.Db/Query
          db:
            tier: database
            retryThrottling: {maxTokens: 5, tokenRatio: 0.5}
            methods:
              shop.Db/Query:
                budget: 200ms
                idempotent: true
                retry:
                  attempts: 2
                  perAttempt: 90ms
                  backoff: {initial: 5ms, max: 5ms, multiplier: 1.5}
                  retryOn: [UNAVAILABLE, RESOURCE_EXHAUSTED]
              shop.Db/Scan:
                streaming: server
                longLived: {maxDuration: 2m}
                hedging: {attempts: 2, delay: 0ms, nonFatal: [UNAVAILABLE]}
        """);
    assertThat(fleet.name()).isEqualTo("shop");
    assertThat(fleet.maxRetryAmplification()).isEqualTo(7);
    FleetService front = fleet.service("front");
    assertThat(front.tier()).isSameAs(Tier.GATEWAY);
    assertThat(front.trust()).isEqualTo(Trust.EDGE);
    assertThat(front.policy().reserveFloor()).isEqualTo(Duration.ofMillis(10));
    assertThat(front.policy().reserveFraction()).isZero();
    assertThat(front.policy().minimumViableBudget()).isEqualTo(Duration.ofMillis(20)); // from defaults
    assertThat(front.retryThrottling()).extracting(RetryThrottling::maxTokens, RetryThrottling::tokenRatio)
        .containsExactly(20, 0.2);
    FleetMethod orders = front.methods().get("GET /orders");
    assertThat(orders.budget()).isEqualTo(Duration.ofMillis(1500));
    assertThat(orders.isGrpc()).isFalse();
    assertThat(orders.calls()).hasSize(2);
    CallStep.Parallel group = (CallStep.Parallel) orders.calls().get(1);
    assertThat(group.members()).extracting(CallStep.Call::method, CallStep.Call::optional)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("shop.Db/Scan", true),
            org.assertj.core.groups.Tuple.tuple("shop.Db/Query", false));
    assertThat(group.location()).isEqualTo(Location.of("fleet.yaml", 19, 13));

    FleetService db = fleet.service("db");
    assertThat(db.tier()).isSameAs(Tier.forName("database").orElseThrow());
    assertThat(db.policy().reserveFloor()).isEqualTo(Duration.ofMillis(3));
    assertThat(db.retryThrottling().maxTokens()).isEqualTo(5);
    RetryPolicy retry = db.methods().get("shop.Db/Query").retry();
    assertThat(retry.attempts()).isEqualTo(2);
    assertThat(retry.backoff().multiplier()).isEqualTo(1.5);
    assertThat(retry.retryOn()).containsExactly("UNAVAILABLE", "RESOURCE_EXHAUSTED");
    FleetMethod scan = db.methods().get("shop.Db/Scan");
    assertThat(scan.streaming()).isEqualTo(Streaming.SERVER);
    assertThat(scan.longLived().maxDuration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(scan.hedging().delay()).isZero();
    assertThat(scan.effectiveBudget()).isEmpty();
  }

  @Test
  void unknownKeyIsRejectedWithItsLineAndTheAllowedKeys() {
    assertThatThrownBy(() -> TestFleets.parse("""
        fleet: t
        services:
          a:
            tier: service
            methods:
              shop.A/Run:
                budgt: 1s
        """))
        .isInstanceOfSatisfying(FleetFormatException.class,
            e -> assertThat(e.location()).isEqualTo(Location.of("fleet.yaml", 7, 9)))
        .hasMessageContaining("fleet.yaml:7:9: unknown key 'budgt' in method 'shop.A/Run'; allowed: ")
        .hasMessageContaining("budget");
  }

  @Test
  void durationWithoutUnitIsRejectedWithAnExample() {
    assertThatThrownBy(() -> TestFleets.parse("""
        fleet: t
        services:
          a:
            tier: service
            methods:
              shop.A/Run:
                budget: 800
        """))
        .hasMessage("fleet.yaml:7:17: budget '800' needs a number and a unit, e.g. 800ms");
  }

  @Test
  void undefinedTierIsRejected() {
    assertThatThrownBy(() -> TestFleets.parse("""
        fleet: t
        services:
          a:
            tier: databse
        """))
        .hasMessageStartingWith("fleet.yaml:4:11: tier 'databse' is not defined; built in: gateway, service, cache");
  }

  @Test
  void duplicateKeysAndBrokenYamlAreRejectedWithLines() {
    assertThatThrownBy(() -> TestFleets.parse("""
        fleet: t
        services:
          a:
            tier: service
          a:
            tier: cache
        """))
        .hasMessage("fleet.yaml:5:3: duplicate key 'a' in services (first at line 3)");
    assertThatThrownBy(() -> TestFleets.parse("fleet: t\nservices: [a, b\n"))
        .isInstanceOf(FleetFormatException.class)
        .hasMessageStartingWith("fleet.yaml:3:1: not valid YAML");
  }

  @Test
  void methodDeclaredTwiceAndBothRetryAndHedgingAreRejected() {
    assertThatThrownBy(() -> TestFleets.parse("""
        fleet: t
        services:
          a:
            tier: service
            methods:
              shop.A/Run:
          b:
            tier: service
            methods:
              shop.A/Run:
        """))
        .hasMessage("fleet.yaml:10:7: method 'shop.A/Run' is already declared at line 6; a method belongs to one service");
    assertThatThrownBy(() -> TestFleets.parse("""
        fleet: t
        services:
          a:
            tier: service
            methods:
              shop.A/Run:
                retry: {attempts: 2, perAttempt: 10ms, backoff: {initial: 1ms, max: 1ms}}
                hedging: {attempts: 2, delay: 5ms}
        """))
        .hasMessageContaining("fleet.yaml:8:9: method 'shop.A/Run' has both retry and hedging");
  }

  @Test
  void protoOptionsFromADescriptorSetCarryFileAndLine() throws IOException {
    List<ProtoDeclaration> declared =
        ProtoFleets.declarations(ProtoFleets.readDescriptorSet(TestFleets.testDescriptorSet()));
    Map<String, ProtoDeclaration> byMethod = new java.util.HashMap<>();
    declared.forEach(d -> byMethod.put(d.method(), d));
    ProtoDeclaration lookup = byMethod.get("reqctx.budgets.test.v1.CatalogService/Lookup");
    assertThat(lookup.tier()).isSameAs(Tier.SERVICE);
    assertThat(lookup.budget()).isEqualTo(Duration.ofMillis(300));
    assertThat(lookup.location().file()).isEqualTo("reqctx/budgets/test/v1/catalog.proto");
    assertThat(lookup.location().line()).isEqualTo(15);
    ProtoDeclaration browse = byMethod.get("reqctx.budgets.test.v1.CatalogService/Browse");
    assertThat(browse.streaming()).isEqualTo(Streaming.SERVER);
    assertThat(browse.location().line()).isEqualTo(18);
    ProtoDeclaration quote = byMethod.get("reqctx.budgets.test.v1.PriceService/Quote"); // the service default
    assertThat(quote.tier()).isSameAs(Tier.CACHE);
    assertThat(quote.budget()).isEqualTo(Duration.ofMillis(150));
    assertThat(quote.location().line()).isEqualTo(23);
    ProtoDeclaration hang = byMethod.get("reqctx.budgets.test.v1.ProbeService/Hang"); // no option
    assertThat(hang.tier()).isNull();
    assertThat(hang.budget()).isNull();
  }

  @Test
  void fleetFromProtosAloneIsLinted() throws IOException {
    Fleet fleet = ProtoFleets.fleet("catalog",
        ProtoFleets.declarations(ProtoFleets.readDescriptorSet(TestFleets.testDescriptorSet())));
    assertThat(fleet.services()).containsOnlyKeys(
        "reqctx.budgets.test.v1.CatalogService", "reqctx.budgets.test.v1.PriceService");
    LintReport report = FleetLint.check(fleet);
    assertThat(report.findings()).singleElement().satisfies(f -> {
      assertThat(f.rule()).isEqualTo(Rule.STREAMING_WITHOUT_LONG_LIVED);
      assertThat(f.location().file()).isEqualTo("reqctx/budgets/test/v1/catalog.proto");
      assertThat(f.location().line()).isEqualTo(18);
      assertThat(f.numbers()).containsEntry("cutAfterMs", 1000L);
    });
  }

  @Test
  void budgetFileAndProtoOptionsThatDisagreeAreReportedPerField(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("fleet.yaml");
    Files.writeString(file, """
        fleet: t
        protos: [%s]
        services:
          catalog:
            tier: service
            methods:
              reqctx.budgets.test.v1.CatalogService/Lookup:
                budget: 250ms
              reqctx.budgets.test.v1.CatalogService/Browse:
                longLived: true
          prices:
            tier: service
            methods:
              reqctx.budgets.test.v1.PriceService/Quote:
                budget: 150ms
        """.formatted(TestFleets.testDescriptorSet().toAbsolutePath()));
    LintReport report = FleetLint.check(FleetFiles.read(file));
    assertThat(report.findings()).as(report.render(ReportFormat.TEXT)).hasSize(2);
    Finding tier = report.findings().get(1);
    assertThat(tier.rule()).isEqualTo(Rule.YAML_PROTO_MISMATCH);
    assertThat(tier.location()).isEqualTo(Location.of(file.toString(), 11, 3));
    assertThat(tier.numbers()).containsEntry("field", "tier").containsEntry("yaml", "service")
        .containsEntry("proto", "cache");
    Finding budget = report.findings().get(0);
    assertThat(budget.rule()).isEqualTo(Rule.YAML_PROTO_MISMATCH);
    assertThat(budget.location()).isEqualTo(Location.of(file.toString(), 8, 17));
    assertThat(budget.numbers()).containsEntry("field", "budget").containsEntry("yamlMs", 250L)
        .containsEntry("protoMs", 300L);
    assertThat((String) budget.numbers().get("protoLocation")).startsWith("reqctx/budgets/test/v1/catalog.proto:15:");
  }

  @Test
  void methodTheFileLeavesWithoutBudgetTakesTheProtoBudget() {
    Fleet fleet = FleetFiles.parse("sample.yaml", TestFleets.sampleFleet().replace("budget: 800ms", ""),
        TestFleets.sampleProtos());
    assertThat(fleet.method("reqctx.samples.v1.CacheService/Get").orElseThrow().effectiveBudget())
        .contains(Duration.ofMillis(800));
  }

  @Test
  void sampleFileWithADifferentBudgetThanItsProtoIsReported() {
    LintReport report = FleetLint.check(FleetFiles.parse("sample.yaml",
        TestFleets.sampleFleet().replace("budget: 800ms", "budget: 700ms"), TestFleets.sampleProtos()));
    assertThat(report.findings()).singleElement().satisfies(f -> {
      assertThat(f.rule()).isEqualTo(Rule.YAML_PROTO_MISMATCH);
      assertThat(f.numbers()).containsEntry("yamlMs", 700L).containsEntry("protoMs", 800L);
    });
  }

  @Test
  void missingDescriptorSetIsRejectedAtItsLine(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("fleet.yaml");
    Files.writeString(file, "fleet: t\nprotos:\n  - build/missing.pb\nservices: {}\n");
    assertThatThrownBy(() -> FleetFiles.read(file))
        .hasMessageStartingWith(file + ":3:5: descriptor set build/missing.pb not found");
  }
}
