package io.reqctx.internal.wire;

/**
 * HTTP optional whitespace ({@code OWS = *( SP / HTAB )}, RFC 9110 section 5.6.3) and the list
 * rule the W3C headers share: a field value is a comma-separated list, repeated fields are one list
 * joined with commas, and empty list elements are ignored (RFC 9110 section 5.6.1). Nothing else
 * counts as whitespace: CR, LF, form feed and non-ASCII spaces are not OWS.
 */
final class Ows {

  private Ows() {}

  static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /** The first index in {@code [start, end)} that is not OWS, or {@code end}. */
  static int skipLeading(CharSequence value, int start, int end) {
    while (start < end && isOws(value.charAt(start))) {
      start++;
    }
    return start;
  }

  /** The end of {@code value[start, end)} without its trailing OWS. */
  static int skipTrailing(CharSequence value, int start, int end) {
    while (end > start && isOws(value.charAt(end - 1))) {
      end--;
    }
    return end;
  }

  /** Receives the non-empty elements of a list, OWS already trimmed, as {@code [start, end)}. */
  @FunctionalInterface
  interface ElementVisitor {
    /** Returns false to stop the walk. */
    boolean visit(String value, int start, int end);
  }

  /**
   * Walks the list elements of every value in turn, as if the values had been joined with commas;
   * empty and whitespace-only elements are skipped.
   *
   * @return false when the visitor stopped the walk
   */
  static boolean forEachElement(Iterable<String> values, ElementVisitor visitor) {
    for (String value : values) {
      int length = value.length();
      int elementStart = 0;
      while (elementStart <= length) {
        int comma = indexOf(value, ',', elementStart, length);
        int start = skipLeading(value, elementStart, comma);
        int end = skipTrailing(value, start, comma);
        if (start < end && !visitor.visit(value, start, end)) {
          return false;
        }
        elementStart = comma + 1;
      }
    }
    return true;
  }

  /** Total length of the values joined with one comma between each, without building it. */
  static long joinedLength(Iterable<String> values) {
    long total = -1;
    for (String value : values) {
      total += value.length() + 1L;
    }
    return Math.max(total, 0);
  }

  private static int indexOf(String value, char c, int from, int end) {
    int found = value.indexOf(c, from);
    return found < 0 || found > end ? end : found;
  }
}
