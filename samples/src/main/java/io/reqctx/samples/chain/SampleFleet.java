package io.reqctx.samples.chain;

import io.reqctx.budgets.Fleet;
import io.reqctx.budgets.FleetFiles;
import io.reqctx.budgets.FleetLint;
import io.reqctx.budgets.LintReport;
import io.reqctx.budgets.ProtoFleets;
import io.reqctx.samples.proto.CacheServiceProto;
import io.reqctx.samples.proto.InventoryServiceProto;
import io.reqctx.samples.proto.OrderServiceProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The budget file of the demo fleet ({@code io/reqctx/samples/fleet.yaml} on the classpath), read together
 * with the {@code (reqctx.v1.budget)} options of the sample protos: the one source of every tier's budgets,
 * reserves and minimum viable budgets.
 *
 * <pre>{@code
 * Fleet fleet = SampleFleet.fleet();
 * System.out.print(SampleFleet.lint().render(ReportFormat.TEXT)); // ... clean (4 services, 4 methods, 3 calls)
 * }</pre>
 */
public final class SampleFleet {
  /** The resource, and the file name findings carry. */
  public static final String RESOURCE = "/io/reqctx/samples/fleet.yaml";

  private static final Fleet FLEET = read();

  private SampleFleet() {}

  /** The sample fleet. */
  public static Fleet fleet() {
    return FLEET;
  }

  /** The lint of the sample fleet, with its protos. */
  public static LintReport lint() {
    return FleetLint.check(FLEET);
  }

  private static Fleet read() {
    try (InputStream in = SampleFleet.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the samples jar lacks " + RESOURCE);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return FleetFiles.parse("fleet.yaml", text, ProtoFleets.declarations(List.of(
          OrderServiceProto.getDescriptor(), InventoryServiceProto.getDescriptor(), CacheServiceProto.getDescriptor())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
