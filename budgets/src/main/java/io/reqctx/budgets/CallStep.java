package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One step of what a method does below it. The steps of a method run one after another; a {@link
 * Parallel} step runs its calls at the same time and ends with the slowest.
 *
 * <pre>{@code
 * List<CallStep> steps = List.of(
 *     new CallStep.Call("shop.Auth/Check", false, at),                       // first
 *     new CallStep.Parallel(List.of(                                         // then both at once
 *         new CallStep.Call("shop.Prices/Get", false, at),
 *         new CallStep.Call("shop.Reviews/List", true, at)), at));
 * }</pre>
 */
public sealed interface CallStep {

  /** Where the step is declared. */
  Location location();

  /** The calls of this step: one, or the members of a parallel group. */
  List<Call> calls();

  /**
   * A call to one method.
   *
   * @param method the full name of the called method ({@code "pkg.Service/Method"} for gRPC)
   * @param optional whether the caller can do without the answer (it has a fallback): findings about an
   *     optional call are warnings, not errors
   * @param location where the call is declared
   */
  record Call(String method, boolean optional, Location location) implements CallStep {
    public Call {
      requireNonNull(method, "method");
      requireNonNull(location, "location");
    }

    @Override
    public List<Call> calls() {
      return List.of(this);
    }
  }

  /**
   * Calls made at the same time; the step lasts as long as the slowest.
   *
   * @param members at least one call
   * @param location where the group is declared
   */
  record Parallel(List<Call> members, Location location) implements CallStep {
    public Parallel {
      members = List.copyOf(members);
      requireNonNull(location, "location");
      if (members.isEmpty()) {
        throw new IllegalArgumentException("a parallel group needs at least one call (" + location + ")");
      }
    }

    @Override
    public List<Call> calls() {
      return members;
    }
  }
}
