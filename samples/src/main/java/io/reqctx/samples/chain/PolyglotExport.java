package io.reqctx.samples.chain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.reqctx.BudgetPolicy;
import io.reqctx.budgets.Fleet;
import io.reqctx.budgets.FleetMethod;
import io.reqctx.budgets.FleetService;
import io.reqctx.budgets.GrpcServiceConfigs;
import io.reqctx.samples.proto.CacheServiceProto;
import io.reqctx.samples.proto.InventoryServiceProto;
import io.reqctx.samples.proto.OrderServiceProto;
import io.reqctx.transport.Trust;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes what the reference services in other languages read, from the sample fleet's budget file
 * ({@link SampleFleet}), so that they run with the numbers the Java tiers run with:
 *
 * <ul>
 *   <li>{@code <client>-to-<callee>.service-config.json}: the standard gRPC service config of each call
 *       (what {@code reqctx-budgets export --grpc-service-config} writes; its {@code timeout} is the
 *       callee's budget);
 *   <li>{@code <service>.hop-policy.json}: what a service config cannot say — the service's own tier and
 *       cap, trust, method budgets, reserve, minimum viable budget, and its callees' tiers;
 *   <li>{@value #DESCRIPTOR_SET}: the sample protos as a {@code FileDescriptorSet}, loaded at run time
 *       (grpc-js's proto-loader, Python's message factory), so no code is generated.
 * </ul>
 *
 * <pre>{@code
 * Path config = PolyglotExport.write(Files.createTempDirectory("reqctx-polyglot"));
 * }</pre>
 */
public final class PolyglotExport {
  /** The file name of the descriptor set. */
  public static final String DESCRIPTOR_SET = "samples.pb";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<Role> FOREIGN_ROLES = List.of(Role.INVENTORY, Role.CACHE);

  private PolyglotExport() {}

  /** Writes the files for the inventory and the cache into {@code dir} (created if needed) and returns it. */
  public static Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Fleet fleet = SampleFleet.fleet();
    for (Role role : FOREIGN_ROLES) {
      String name = role.cliName();
      Map<String, String> configs = GrpcServiceConfigs.forClient(fleet, name);
      for (Map.Entry<String, String> config : configs.entrySet()) {
        Files.writeString(dir.resolve(name + "-to-" + config.getKey() + ".service-config.json"), config.getValue(),
            StandardCharsets.UTF_8);
      }
      Files.writeString(dir.resolve(name + ".hop-policy.json"), hopPolicy(fleet, fleet.service(name), configs.keySet()),
          StandardCharsets.UTF_8);
    }
    Files.write(dir.resolve(DESCRIPTOR_SET), descriptorSet().toByteArray());
    return dir;
  }

  static String hopPolicy(Fleet fleet, FleetService service, Set<String> callees) throws IOException {
    BudgetPolicy policy = service.policy();
    ObjectNode root = JSON.createObjectNode();
    root.put("service", service.name());
    root.put("tier", service.tier().name());
    root.put("capMs", service.tier().cap().toMillis());
    root.put("trust", service.trust() == Trust.EDGE ? "edge" : "trusted");
    root.putObject("reserve")
        .put("floorMs", policy.reserveFloor().toNanos() / 1e6)
        .put("fraction", policy.reserveFraction());
    root.put("minimumViableBudgetMs", policy.minimumViableBudget().toNanos() / 1e6);
    ObjectNode methods = root.putObject("methods");
    for (FleetMethod method : service.methods().values()) {
      ObjectNode m = methods.putObject(method.name());
      method.effectiveBudget().ifPresent(budget -> m.put("budgetMs", budget.toMillis()));
    }
    ObjectNode calleeTiers = root.putObject("callees");
    for (String callee : callees) {
      FleetService c = fleet.service(callee);
      calleeTiers.putObject(callee).put("tier", c.tier().name()).put("capMs", c.tier().cap().toMillis());
    }
    // Typed keys the service accepts and forwards: the sample fleet propagates none.
    root.putObject("keys");
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
  }

  /** The sample protos and everything they import, each file after its imports. */
  static FileDescriptorSet descriptorSet() {
    Set<FileDescriptor> ordered = new LinkedHashSet<>();
    for (FileDescriptor file : List.of(
        OrderServiceProto.getDescriptor(), InventoryServiceProto.getDescriptor(), CacheServiceProto.getDescriptor())) {
      addWithImports(file, ordered);
    }
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    ordered.forEach(file -> set.addFile(file.toProto()));
    return set.build();
  }

  private static void addWithImports(FileDescriptor file, Set<FileDescriptor> ordered) {
    for (FileDescriptor dependency : file.getDependencies()) {
      addWithImports(dependency, ordered);
    }
    ordered.add(file);
  }
}
