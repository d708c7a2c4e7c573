package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

/**
 * A budget file or proto source that cannot be read into a {@link Fleet}: not YAML, an unknown key, a
 * value of the wrong kind, an undefined tier. The message starts with {@code file:line:column}. The
 * command line answers it with exit code 2.
 *
 * <pre>{@code
 * try {
 *   FleetFiles.read(Path.of("fleet.yaml"));
 * } catch (FleetFormatException e) {
 *   System.err.println(e.getMessage()); // fleet.yaml:7:13: budget '800' needs a unit, e.g. 800ms
 * }
 * }</pre>
 */
public final class FleetFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Location location;
  private final String problem;

  /** A problem at {@code location}. */
  public FleetFormatException(Location location, String problem) {
    this(location, problem, null);
  }

  /** A problem at {@code location} caused by {@code cause}. */
  public FleetFormatException(Location location, String problem, @org.jspecify.annotations.Nullable Throwable cause) {
    super(requireNonNull(location, "location") + ": " + requireNonNull(problem, "problem"), cause);
    this.location = location;
    this.problem = problem;
  }

  /** Where the problem is. */
  public Location location() {
    return location;
  }

  /** The problem without the location. */
  public String problem() {
    return problem;
  }
}
