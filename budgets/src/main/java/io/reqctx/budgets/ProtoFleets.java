package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.InvalidProtocolBufferException;
import io.reqctx.Callee;
import io.reqctx.proto.ProtoBudgets;
import io.reqctx.proto.v1.BudgetProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The proto source of a fleet: the {@code (reqctx.v1.budget)} and {@code (reqctx.v1.default_budget)}
 * options, read by {@link ProtoBudgets} (the one reader of those options), with each method's streaming
 * kind and, when the descriptors kept source info, the file and line of the option.
 *
 * <pre>{@code
 * // from a descriptor set: protoc --include_imports --include_source_info -o fleet.pb *.proto
 * List<ProtoDeclaration> declared = ProtoFleets.declarations(ProtoFleets.readDescriptorSet(Path.of("fleet.pb")));
 * Fleet fromProtosAlone = ProtoFleets.fleet("shop", declared);
 * // or from generated code
 * List<ProtoDeclaration> cache = ProtoFleets.declarations(List.of(CacheServiceProto.getDescriptor()));
 * }</pre>
 */
public final class ProtoFleets {
  private static final int SERVICE_FIELD = FileDescriptorProto.SERVICE_FIELD_NUMBER;
  private static final int METHOD_FIELD = com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.METHOD_FIELD_NUMBER;
  private static final int SERVICE_OPTIONS_FIELD =
      com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.OPTIONS_FIELD_NUMBER;
  private static final int METHOD_OPTIONS_FIELD =
      com.google.protobuf.DescriptorProtos.MethodDescriptorProto.OPTIONS_FIELD_NUMBER;
  private static final int BUDGET_OPTION = BudgetProto.budget.getNumber();

  private ProtoFleets() {}

  /**
   * The declarations of every method of every service in {@code files} (not their dependencies), in
   * declaration order; methods without a budget option are included with a null tier and budget, for
   * their streaming kind.
   *
   * @throws FleetFormatException when an option names a tier that is not defined or no tier
   */
  public static List<ProtoDeclaration> declarations(List<Descriptors.FileDescriptor> files) {
    requireNonNull(files, "files");
    List<ProtoDeclaration> declarations = new ArrayList<>();
    for (Descriptors.FileDescriptor file : files) {
      SourceCodeInfo source = file.toProto().getSourceCodeInfo();
      for (Descriptors.ServiceDescriptor service : file.getServices()) {
        declarations.addAll(declarations(service, source));
      }
    }
    return declarations;
  }

  private static List<ProtoDeclaration> declarations(Descriptors.ServiceDescriptor service, SourceCodeInfo source) {
    String file = service.getFile().getName();
    Map<String, Callee> budgets;
    try {
      budgets = ProtoBudgets.fromService(service);
    } catch (IllegalArgumentException e) {
      Location at = locate(file, source, List.of(SERVICE_FIELD, service.getIndex()));
      throw new FleetFormatException(at, e.getMessage(), e);
    }
    List<ProtoDeclaration> declarations = new ArrayList<>();
    for (Descriptors.MethodDescriptor method : service.getMethods()) {
      String fullName = service.getFullName() + "/" + method.getName();
      Callee callee = budgets.get(fullName);
      List<Integer> methodPath = List.of(SERVICE_FIELD, service.getIndex(), METHOD_FIELD, method.getIndex());
      Location at = locateFirst(file, source,
          List.of(SERVICE_FIELD, service.getIndex(), METHOD_FIELD, method.getIndex(), METHOD_OPTIONS_FIELD, BUDGET_OPTION),
          callee != null && !hasMethodOption(source, methodPath)
              ? List.of(SERVICE_FIELD, service.getIndex(), SERVICE_OPTIONS_FIELD, BUDGET_OPTION) : methodPath,
          methodPath);
      declarations.add(new ProtoDeclaration(
          fullName,
          service.getFullName(),
          callee == null ? null : callee.tier(),
          callee == null ? null : callee.methodBudget(),
          Streaming.of(method.isClientStreaming(), method.isServerStreaming()),
          at));
    }
    return declarations;
  }

  /**
   * The files of a binary {@code FileDescriptorSet} ({@code protoc -o}, {@code buf build -o}), built
   * against each other. Build it with {@code --include_imports} (so {@code reqctx/v1/budget.proto} and
   * {@code descriptor.proto} are inside) and {@code --include_source_info} (so findings get lines).
   *
   * @throws FleetFormatException when the file is not a descriptor set or lacks a dependency
   * @throws IOException when it cannot be read
   */
  public static List<Descriptors.FileDescriptor> readDescriptorSet(Path path) throws IOException {
    requireNonNull(path, "path");
    FileDescriptorSet set;
    try {
      set = FileDescriptorSet.parseFrom(Files.readAllBytes(path));
    } catch (InvalidProtocolBufferException e) {
      throw new FleetFormatException(Location.file(path.toString()),
          "not a binary FileDescriptorSet (protoc --include_imports --include_source_info -o " + path.getFileName()
              + " ...): " + e.getMessage(), e);
    }
    Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
    for (FileDescriptorProto proto : set.getFileList()) {
      protos.put(proto.getName(), proto);
    }
    Map<String, Descriptors.FileDescriptor> built = new LinkedHashMap<>();
    List<Descriptors.FileDescriptor> files = new ArrayList<>();
    for (FileDescriptorProto proto : set.getFileList()) {
      files.add(build(proto.getName(), protos, built, path, new ArrayList<>()));
    }
    return files;
  }

  private static Descriptors.FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, Descriptors.FileDescriptor> built, Path set, List<String> building) {
    Descriptors.FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new FleetFormatException(Location.file(set.toString()), "the descriptor set lacks " + name + " (imported by "
          + building.get(building.size() - 1) + "); build it with protoc --include_imports");
    }
    if (building.contains(name)) {
      throw new FleetFormatException(Location.file(set.toString()), "import cycle through " + name);
    }
    building.add(name);
    Descriptors.FileDescriptor[] dependencies = new Descriptors.FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = build(proto.getDependency(i), protos, built, set, building);
    }
    building.remove(name);
    try {
      Descriptors.FileDescriptor file = Descriptors.FileDescriptor.buildFrom(proto, dependencies);
      built.put(name, file);
      return file;
    } catch (DescriptorValidationException e) {
      throw new FleetFormatException(Location.file(set.toString()), name + " is not a valid proto file: " + e.getMessage(), e);
    }
  }

  /**
   * A fleet from proto options alone: one service per gRPC service (named by its full name, trusted,
   * default budget policy), the tier its options name. gRPC services without any budget option are left out.
   *
   * @throws FleetFormatException when the methods of one gRPC service name different tiers
   */
  public static Fleet fleet(String name, List<ProtoDeclaration> declarations) {
    requireNonNull(name, "name");
    requireNonNull(declarations, "declarations");
    String file = declarations.isEmpty() ? "<protos>" : declarations.get(0).location().file();
    FleetAssembly assembly = new FleetAssembly(name, Location.file(file));
    assembly.addProto(declarations);
    return assembly.build();
  }

  private static boolean hasMethodOption(SourceCodeInfo source, List<Integer> methodPath) {
    List<Integer> option = new ArrayList<>(methodPath);
    option.add(METHOD_OPTIONS_FIELD);
    option.add(BUDGET_OPTION);
    return find(source, option) != null;
  }

  @SafeVarargs
  private static Location locateFirst(String file, SourceCodeInfo source, List<Integer>... paths) {
    for (List<Integer> path : paths) {
      SourceCodeInfo.Location found = find(source, path);
      if (found != null) {
        return Location.of(file, found.getSpan(0) + 1, found.getSpan(1) + 1);
      }
    }
    return Location.file(file);
  }

  private static Location locate(String file, SourceCodeInfo source, List<Integer> path) {
    return locateFirst(file, source, path);
  }

  private static SourceCodeInfo.@Nullable Location find(SourceCodeInfo source, List<Integer> path) {
    for (SourceCodeInfo.Location location : source.getLocationList()) {
      if (location.getPathList().equals(path) && location.getSpanCount() >= 3) {
        return location;
      }
    }
    return null;
  }
}
