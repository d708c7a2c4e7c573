package io.reqctx.samples.chain;

import static org.assertj.core.api.Assertions.assertThat;

import io.reqctx.budgets.FleetMethod;
import io.reqctx.budgets.ReportFormat;
import io.reqctx.proto.ProtoBudgets;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.InventoryServiceGrpc;
import io.reqctx.samples.proto.OrderServiceGrpc;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo's budget file: clean, one service per role, the same budgets as the sample protos. */
class SampleFleetTest {

  @Test
  void budgetFileLintsCleanWithItsProtos() {
    assertThat(SampleFleet.lint().findings()).as(SampleFleet.lint().render(ReportFormat.TEXT)).isEmpty();
  }

  @Test
  void everyRoleIsAServiceOfTheFleetWithItsTier() {
    for (Role role : Role.values()) {
      assertThat(SampleFleet.fleet().service(role.cliName()).tier()).isSameAs(role.tier());
    }
    // below 250 ms the inventory cannot answer usefully: the order refuses to call it (the tight-budget scenario)
    assertThat(SampleFleet.fleet().service("order").policy().minimumViableBudget()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void methodBudgetsAreThoseOfTheProtoOptions() {
    Map<String, io.reqctx.Callee> proto = new HashMap<>(ProtoBudgets.fromService(OrderServiceGrpc.getServiceDescriptor()));
    proto.putAll(ProtoBudgets.fromService(InventoryServiceGrpc.getServiceDescriptor()));
    proto.putAll(ProtoBudgets.fromService(CacheServiceGrpc.getServiceDescriptor()));
    for (Map.Entry<String, io.reqctx.Callee> entry : proto.entrySet()) {
      FleetMethod method = SampleFleet.fleet().method(entry.getKey()).orElseThrow();
      assertThat(method.callee()).isEqualTo(entry.getValue());
    }
  }
}
