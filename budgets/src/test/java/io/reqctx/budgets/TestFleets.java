package io.reqctx.budgets;

import io.reqctx.proto.ProtoBudgets;
import io.reqctx.samples.proto.CacheServiceProto;
import io.reqctx.samples.proto.InventoryServiceProto;
import io.reqctx.samples.proto.OrderServiceProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Budget files for tests, read the way users read them. */
final class TestFleets {
  static final String FILE = "fleet.yaml";

  private TestFleets() {}

  static Fleet parse(String yaml) {
    return FleetFiles.parse(FILE, yaml, List.of());
  }

  static LintReport lint(String yaml) {
    return FleetLint.check(parse(yaml));
  }

  /** The text of a test resource. */
  static String resource(String name) {
    try (InputStream in = TestFleets.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The budget file of the sample fleet, which samples/ ships. */
  static String sampleFleet() {
    try {
      return java.nio.file.Files.readString(SAMPLE_FLEET);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where the sample fleet's budget file lives (tests run in budgets/). */
  static final Path SAMPLE_FLEET = Path.of("../samples/src/main/resources/io/reqctx/samples/fleet.yaml");

  /** The sample fleet's protos, as generated code carries them (read through {@link ProtoBudgets}). */
  static List<ProtoDeclaration> sampleProtos() {
    return ProtoFleets.declarations(List.of(
        OrderServiceProto.getDescriptor(), InventoryServiceProto.getDescriptor(), CacheServiceProto.getDescriptor()));
  }

  /** The descriptor set protoc wrote for src/test/proto, with source info. */
  static Path testDescriptorSet() {
    String path = System.getProperty("budgets.testDescriptorSet");
    if (path == null) {
      throw new IllegalStateException("system property budgets.testDescriptorSet is not set (run the tests with Maven)");
    }
    return Path.of(path);
  }
}
