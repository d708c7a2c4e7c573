package io.reqctx.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceOptions;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCalls;
import io.reqctx.Callee;
import io.reqctx.Tier;
import io.reqctx.internal.registry.TierRegistry;
import io.reqctx.proto.v1.BudgetProto;
import io.reqctx.proto.v1.MethodBudget;
import io.reqctx.samples.proto.CacheServiceGrpc;
import io.reqctx.samples.proto.CacheServiceProto;
import io.reqctx.samples.proto.InventoryServiceGrpc;
import io.reqctx.samples.proto.OrderServiceGrpc;
import io.reqctx.testing.StrictLeakExtension;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class ProtoBudgetsTest {

  @Test
  void readsTheDeclaredTierAndBudgetOfEverySampleService() {
    assertThat(ProtoBudgets.fromService(new OrderServiceGrpc.OrderServiceImplBase() {}.bindService()))
        .containsExactly(Map.entry(
            "reqctx.samples.v1.OrderService/GetOrder",
            Callee.of("reqctx.samples.v1.OrderService/GetOrder", Tier.SERVICE, Duration.ofMillis(3000))));
    assertThat(ProtoBudgets.fromService(new InventoryServiceGrpc.InventoryServiceImplBase() {}.bindService()))
        .containsExactly(Map.entry(
            "reqctx.samples.v1.InventoryService/CheckStock",
            Callee.of("reqctx.samples.v1.InventoryService/CheckStock", Tier.SERVICE, Duration.ofMillis(2000))));
    assertThat(ProtoBudgets.fromService(new CacheServiceGrpc.CacheServiceImplBase() {}.bindService()))
        .containsExactly(Map.entry(
            "reqctx.samples.v1.CacheService/Get",
            Callee.of("reqctx.samples.v1.CacheService/Get", Tier.CACHE, Duration.ofMillis(800))));
  }

  @Test
  void keysAreTheFullMethodNamesInterceptorsSee() {
    Map<String, Callee> budgets = ProtoBudgets.fromService(CacheServiceGrpc.getServiceDescriptor());

    Callee get = budgets.get(CacheServiceGrpc.getGetMethod().getFullMethodName());
    assertThat(get).isNotNull();
    assertThat(get.name()).isEqualTo("reqctx.samples.v1.CacheService/Get");
    assertThat(get.tier()).isSameAs(Tier.CACHE);
    assertThat(get.methodBudget()).isEqualTo(Duration.ofMillis(800));
  }

  @Test
  void grpcAndProtobufDescriptorsOfOneServiceGiveTheSameBudgets() {
    Descriptors.ServiceDescriptor proto = CacheServiceProto.getDescriptor().findServiceByName("CacheService");

    assertThat(ProtoBudgets.fromService(proto))
        .isEqualTo(ProtoBudgets.fromService(CacheServiceGrpc.getServiceDescriptor()))
        .isEqualTo(ProtoBudgets.fromService(new CacheServiceGrpc.CacheServiceImplBase() {}.bindService()));
  }

  @Test
  void serviceNotGeneratedByProtocHasNoBudgets() {
    MethodDescriptor<String, String> echo = MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("handmade.Echo/Say")
        .setRequestMarshaller(Utf8Marshaller.INSTANCE)
        .setResponseMarshaller(Utf8Marshaller.INSTANCE)
        .build();
    ServerServiceDefinition handmade = ServerServiceDefinition.builder("handmade.Echo")
        .addMethod(echo, ServerCalls.asyncUnaryCall((request, response) -> response.onCompleted()))
        .build();

    assertThat(handmade.getServiceDescriptor().getSchemaDescriptor()).isNull();
    assertThat(ProtoBudgets.fromService(handmade)).isEmpty();
  }

  @Test
  void unknownTierFailsNamingMethodTierAndFix() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Reports")
        .method("Build", budget("reporting-db", 2500))
        .build();

    assertThatThrownBy(() -> ProtoBudgets.fromService(service))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("test.dynamic.v1.Reports/Build")
        .hasMessageContaining("option (reqctx.v1.budget)")
        .hasMessageContaining("'reporting-db'")
        .hasMessageContaining("Tier.define(\"reporting-db\", rank, cap)");
  }

  @Test
  void tierDefinedBeforeReadingIsUsed() throws Exception {
    Tier database = Tier.define("proto-test-database", 50, Duration.ofMillis(500));
    Descriptors.ServiceDescriptor service = DynamicService.named("Ledger")
        .method("Append", budget("proto-test-database", 300))
        .build();

    try {
      assertThat(ProtoBudgets.fromService(service).get("test.dynamic.v1.Ledger/Append"))
          .isEqualTo(Callee.of("test.dynamic.v1.Ledger/Append", database, Duration.ofMillis(300)));
    } finally {
      TierRegistry.forget("proto-test-database"); // the registry is JVM-wide: leave nothing behind
    }
  }

  @Test
  void methodWithoutOptionIsAbsent() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Mixed")
        .method("Declared", budget("cache", 100))
        .method("Undeclared", null)
        .build();

    Map<String, Callee> budgets = ProtoBudgets.fromService(service);

    assertThat(budgets).containsOnlyKeys("test.dynamic.v1.Mixed/Declared");
    assertThat(budgets.get("test.dynamic.v1.Mixed/Undeclared")).isNull();
  }

  @Test
  void zeroTimeoutMeansOnlyTheTierCapApplies() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Lookup")
        .method("Find", budget("cache", 0))
        .build();

    assertThat(ProtoBudgets.fromService(service).get("test.dynamic.v1.Lookup/Find"))
        .isEqualTo(Callee.of("test.dynamic.v1.Lookup/Find", Tier.CACHE));
  }

  @Test
  void longLivedMethodsAreExemptFromTheTierCapWithOrWithoutTheirOwnCap() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Config")
        .method("Watch", budget("service", 0).toBuilder().setLongLived(true).build())
        .method("Export", budget("service", 600_000).toBuilder().setLongLived(true).build())
        .method("Get", budget("service", 0))
        .build();

    Map<String, Callee> budgets = ProtoBudgets.fromService(service);

    assertThat(budgets.get("test.dynamic.v1.Config/Watch")).isEqualTo(Callee.longLived("test.dynamic.v1.Config/Watch", Tier.SERVICE));
    assertThat(budgets.get("test.dynamic.v1.Config/Export"))
        .isEqualTo(Callee.longLived("test.dynamic.v1.Config/Export", Tier.SERVICE, Duration.ofMinutes(10)));
    assertThat(budgets.get("test.dynamic.v1.Config/Get").longLived()).isFalse();
    assertThat(io.reqctx.BudgetPolicy.defaults().inbound(null, Tier.SERVICE, budgets.get("test.dynamic.v1.Config/Export")))
        .as("its own cap, above the service tier's 3 s").contains(Duration.ofMinutes(10));
  }

  @Test
  void serviceDefaultAppliesToMethodsWithoutTheirOwnOption() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Catalog")
        .defaultBudget(budget("service", 1500))
        .method("List", null)
        .method("Peek", budget("cache", 200))
        .build();

    assertThat(ProtoBudgets.fromService(service)).containsExactly(
        Map.entry("test.dynamic.v1.Catalog/List",
            Callee.of("test.dynamic.v1.Catalog/List", Tier.SERVICE, Duration.ofMillis(1500))),
        Map.entry("test.dynamic.v1.Catalog/Peek",
            Callee.of("test.dynamic.v1.Catalog/Peek", Tier.CACHE, Duration.ofMillis(200))));
  }

  @Test
  void methodOptionReplacesTheServiceDefaultAsAWhole() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Catalog")
        .defaultBudget(budget("service", 1500))
        .method("Peek", MethodBudget.newBuilder().setTier("cache").build())
        .build();

    assertThat(ProtoBudgets.fromService(service).get("test.dynamic.v1.Catalog/Peek").methodBudget()).isNull();
  }

  @Test
  void unknownTierInServiceDefaultNamesTheServiceOption() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Search")
        .defaultBudget(budget("search-index", 900))
        .method("Query", null)
        .build();

    assertThatThrownBy(() -> ProtoBudgets.fromService(service))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("test.dynamic.v1.Search/Query")
        .hasMessageContaining("(reqctx.v1.default_budget) of service test.dynamic.v1.Search")
        .hasMessageContaining("'search-index'");
  }

  @Test
  void budgetWithoutTierFails() throws Exception {
    Descriptors.ServiceDescriptor service = DynamicService.named("Lookup")
        .method("Find", MethodBudget.newBuilder().setTimeoutMs(250).build())
        .build();

    assertThatThrownBy(() -> ProtoBudgets.fromService(service))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("test.dynamic.v1.Lookup/Find")
        .hasMessageContaining("declares no tier (timeout_ms: 250)");
  }

  @Test
  void optionParsedWithoutExtensionRegistryIsStillRead() throws Exception {
    // What a descriptor set file or server reflection yields: the option as an unknown field.
    FileDescriptorProto withExtension = DynamicService.named("Remote")
        .method("Fetch", budget("cache", 400))
        .fileProto();
    FileDescriptorProto parsedPlain = FileDescriptorProto.parseFrom(withExtension.toByteString());
    assertThat(parsedPlain.getService(0).getMethod(0).getOptions().hasExtension(BudgetProto.budget)).isFalse();

    Descriptors.ServiceDescriptor service = DynamicService.build(parsedPlain).findServiceByName("Remote");

    assertThat(ProtoBudgets.fromService(service).get("test.dynamic.v1.Remote/Fetch"))
        .isEqualTo(Callee.of("test.dynamic.v1.Remote/Fetch", Tier.CACHE, Duration.ofMillis(400)));
  }

  @Test
  void returnedMapIsUnmodifiable() {
    Map<String, Callee> budgets = ProtoBudgets.fromService(CacheServiceGrpc.getServiceDescriptor());

    assertThatThrownBy(() -> budgets.put("x/y", Callee.of("x/y", Tier.CACHE)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void grpcServiceDescriptorWithProtoSchemaUsesTheGrpcServiceName() {
    // A service re-exposed under another name: interceptors see the gRPC name, so keys use it.
    ServiceDescriptor generated = CacheServiceGrpc.getServiceDescriptor();
    MethodDescriptor<?, ?> renamedGet = CacheServiceGrpc.getGetMethod().toBuilder()
        .setFullMethodName("legacy.Cache/Get")
        .build();
    ServiceDescriptor renamed = ServiceDescriptor.newBuilder("legacy.Cache")
        .setSchemaDescriptor(generated.getSchemaDescriptor())
        .addMethod(renamedGet)
        .build();

    assertThat(ProtoBudgets.fromService(renamed))
        .containsOnlyKeys("legacy.Cache/Get")
        .extractingByKey("legacy.Cache/Get")
        .isEqualTo(Callee.of("legacy.Cache/Get", Tier.CACHE, Duration.ofMillis(800)));
  }

  private static MethodBudget budget(String tier, int timeoutMs) {
    return MethodBudget.newBuilder().setTier(tier).setTimeoutMs(timeoutMs).build();
  }

  /** Builds a one-service .proto at test time, the way protoc would have compiled it. */
  private static final class DynamicService {
    private final ServiceDescriptorProto.Builder service;

    private DynamicService(String name) {
      service = ServiceDescriptorProto.newBuilder().setName(name);
    }

    static DynamicService named(String name) {
      return new DynamicService(name);
    }

    DynamicService defaultBudget(MethodBudget budget) {
      service.setOptions(ServiceOptions.newBuilder().setExtension(BudgetProto.defaultBudget, budget));
      return this;
    }

    DynamicService method(String name, @Nullable MethodBudget budget) {
      MethodDescriptorProto.Builder method = MethodDescriptorProto.newBuilder()
          .setName(name)
          .setInputType(".test.dynamic.v1.Ping")
          .setOutputType(".test.dynamic.v1.Ping");
      if (budget != null) {
        method.setOptions(MethodOptions.newBuilder().setExtension(BudgetProto.budget, budget));
      }
      service.addMethod(method);
      return this;
    }

    FileDescriptorProto fileProto() {
      return FileDescriptorProto.newBuilder()
          .setName("test/dynamic/v1/" + service.getName() + ".proto")
          .setPackage("test.dynamic.v1")
          .setSyntax("proto3")
          .addDependency("reqctx/v1/budget.proto")
          .addMessageType(DescriptorProto.newBuilder().setName("Ping"))
          .addService(service)
          .build();
    }

    Descriptors.ServiceDescriptor build() throws DescriptorValidationException {
      return build(fileProto()).findServiceByName(service.getName());
    }

    static Descriptors.FileDescriptor build(FileDescriptorProto file) throws DescriptorValidationException {
      return Descriptors.FileDescriptor.buildFrom(
          file, new Descriptors.FileDescriptor[] {BudgetProto.getDescriptor()});
    }
  }

  private enum Utf8Marshaller implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
