package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

/**
 * Where something of a fleet is declared: a file and a 1-based line and column (0 when unknown, e.g. a
 * proto descriptor built without source info).
 *
 * <pre>{@code
 * Location at = Location.of("fleet.yaml", 12, 9);
 * at.toString(); // "fleet.yaml:12:9"
 * }</pre>
 *
 * @param file the file as the user named it (relative paths stay relative)
 * @param line 1-based line, 0 when unknown
 * @param column 1-based column, 0 when unknown
 */
public record Location(String file, int line, int column) {

  public Location {
    requireNonNull(file, "file");
    if (line < 0 || column < 0) {
      throw new IllegalArgumentException("line and column must be 0 (unknown) or more, got " + line + ":" + column);
    }
  }

  /** A location with line and column. */
  public static Location of(String file, int line, int column) {
    return new Location(file, line, column);
  }

  /** A whole file, line unknown. */
  public static Location file(String file) {
    return new Location(file, 0, 0);
  }

  /** Whether the line is known. */
  public boolean hasLine() {
    return line > 0;
  }

  @Override
  public String toString() {
    if (line == 0) {
      return file;
    }
    return column == 0 ? file + ":" + line : file + ":" + line + ":" + column;
  }
}
