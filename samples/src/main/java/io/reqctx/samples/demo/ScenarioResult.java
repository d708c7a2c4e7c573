package io.reqctx.samples.demo;

import io.reqctx.samples.chain.HopReport;
import java.util.List;

/**
 * What one scenario run showed: the hops as each reported itself, the facts measured around them,
 * and whether the scenario's claim held.
 *
 * @param hops the hops in the order they started, each as it reported itself
 * @param facts lines of measurements (HTTP status, timings, the trace), printed under the waterfall
 * @param passed whether the verdict holds
 * @param verdict one line: what was checked, with the numbers
 */
public record ScenarioResult(Scenario scenario, List<HopReport> hops, List<String> facts, boolean passed,
    String verdict) {

  public ScenarioResult {
    hops = List.copyOf(hops);
    facts = List.copyOf(facts);
  }
}
