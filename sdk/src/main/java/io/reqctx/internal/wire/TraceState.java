package io.reqctx.internal.wire;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Codec for the W3C Trace Context {@code tracestate} header (Trace Context Level 2): an ordered
 * list of vendor entries, the left-most being the most recent position in the trace.
 *
 * <p><b>Reading</b> ({@link #parse(List)}): repeated headers are one list joined with commas;
 * optional whitespace around entries and empty entries are ignored, so an empty header among
 * repeated ones loses nothing. Keys follow the Level 2 grammar {@code (lcalpha / DIGIT) 0*255(
 * lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@")}: {@code foo@bar@baz}, {@code foo@}, a 242
 * character part before an {@code @} and a 15 character part after it are all valid. Values are 1
 * to 256 printable ASCII characters without {@code ,} and {@code =}, not ending in a space; leading
 * spaces belong to the value. A key that occurs again keeps its first (left-most, most recent)
 * entry and drops the later ones, which the spec allows for duplicates. An entry that breaks the
 * grammar, or more than {@link #MAX_MEMBERS} entries, make the whole header malformed: it is dropped
 * and the trace is kept.
 *
 * <p><b>Writing</b> ({@link #encode}): entries joined with {@code ,} and no whitespace. A hop that
 * updates its own entry moves it to the front ({@link #with}). {@link #truncatedTo} shortens an
 * over-long list the way the spec asks: whole entries only, entries longer than 128 characters
 * first, then from the end.
 *
 * <pre>{@code
 * TraceState in = TraceState.parse(List.of("rojo=00f067aa0ba902b7", "", " congo=t61rcWkgMzE"));
 * in.encode();                               // "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
 * in.with("congo", "ucfJifl5GOE").encode();  // "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7"
 * TraceState.parse(List.of("foo=1,FOO=2"));  // null: "FOO" is not a key
 * }</pre>
 *
 * @param members the entries, left-most first; keys unique, at most {@link #MAX_MEMBERS}
 */
public record TraceState(List<Member> members) {


  /** The most entries a list may hold. */
  public static final int MAX_MEMBERS = 32;

  /** The longest key. */
  public static final int MAX_KEY_LENGTH = 256;

  /** The longest value. */
  public static final int MAX_VALUE_LENGTH = 256;

  /**
   * Longest input read, all repeated values joined with commas, whitespace included: twice the
   * longest valid list ({@code 32 * (256 + 1 + 256) + 31} characters). Longer input is malformed
   * without being scanned.
   */
  public static final int MAX_INPUT_LENGTH = 32 * 1024;

  /**
   * The longest list reqctx sends by default: four times the 512 characters the spec asks every
   * hop to propagate, and small next to the 8 KiB of metadata grpc-java and Armeria accept per
   * request, which every other header shares.
   */
  public static final int DEFAULT_PROPAGATION_LIMIT = 2048;

  /** Entries longer than this are the first to go when a list is truncated (spec, "Limits"). */
  static final int LONG_ENTRY = 128;

  /** The empty list. */
  public static final TraceState EMPTY = new TraceState(List.of());

  /**
   * Checks the list.
   *
   * @throws IllegalArgumentException if a key occurs twice or there are more than {@link
   *     #MAX_MEMBERS} entries
   */
  public TraceState {
    members = List.copyOf(members);
    if (members.size() > MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "tracestate has " + members.size() + " entries; at most " + MAX_MEMBERS + " are allowed");
    }
    Set<String> keys = new HashSet<>();
    for (Member member : members) {
      if (!keys.add(member.key())) {
        throw new IllegalArgumentException("tracestate key '" + member.key() + "' occurs twice");
      }
    }
  }

  /**
   * Reads {@code tracestate} from all the values it arrived with, in arrival order.
   *
   * @return the list ({@link #EMPTY} when there are no entries), or null when it is malformed
   */
  public static @Nullable TraceState parse(List<String> headerValues) {
    requireNonNull(headerValues, "headerValues");
    if (Ows.joinedLength(headerValues) > MAX_INPUT_LENGTH) {
      return null;
    }
    List<Member> members = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    int[] count = {0};
    boolean wellFormed =
        Ows.forEachElement(
            headerValues,
            (value, start, end) -> {
              int equals = value.indexOf('=', start);
              if (equals < 0 || equals >= end || ++count[0] > MAX_MEMBERS) {
                return false;
              }
              if (!isValidKey(value, start, equals) || !isValidValue(value, equals + 1, end)) {
                return false;
              }
              String key = value.substring(start, equals);
              if (keys.add(key)) { // a repeated key keeps its left-most entry
                members.add(new Member(key, value.substring(equals + 1, end)));
              }
              return true;
            });
    if (!wellFormed) {
      return null;
    }
    return members.isEmpty() ? EMPTY : new TraceState(members);
  }

  /** Reads one {@code tracestate} value; see {@link #parse(List)}. */
  public static @Nullable TraceState parse(String headerValue) {
    return parse(List.of(requireNonNull(headerValue, "headerValue")));
  }

  /** True when {@code key} matches the Level 2 key grammar (see the class comment). */
  public static boolean isValidKey(String key) {
    return isValidKey(requireNonNull(key, "key"), 0, key.length());
  }

  /** True when {@code value} is 1 to 256 of {@code %x20-2B / %x2D-3C / %x3E-7E}, not ending in a space. */
  public static boolean isValidValue(String value) {
    return isValidValue(requireNonNull(value, "value"), 0, value.length());
  }

  /** The value of {@code key}, or null. */
  public @Nullable String get(String key) {
    requireNonNull(key, "key");
    for (Member member : members) {
      if (member.key().equals(key)) {
        return member.value();
      }
    }
    return null;
  }

  /** True when the list has no entries (then the header should not be sent at all). */
  public boolean isEmpty() {
    return members.isEmpty();
  }

  /**
   * The list with {@code key} set to {@code value} at the front, its old entry removed; when that
   * makes more than {@link #MAX_MEMBERS} entries, the right-most one goes.
   *
   * @throws IllegalArgumentException if {@code key} or {@code value} breaks the grammar
   */
  public TraceState with(String key, String value) {
    Member added = new Member(key, value);
    List<Member> updated = new ArrayList<>(members.size() + 1);
    updated.add(added);
    for (Member member : members) {
      if (!member.key().equals(key) && updated.size() < MAX_MEMBERS) {
        updated.add(member);
      }
    }
    return new TraceState(updated);
  }

  /** The list without {@code key}. */
  public TraceState without(String key) {
    requireNonNull(key, "key");
    List<Member> kept = new ArrayList<>(members.size());
    for (Member member : members) {
      if (!member.key().equals(key)) {
        kept.add(member);
      }
    }
    return kept.size() == members.size() ? this : new TraceState(kept);
  }

  /**
   * The list shortened to at most {@code maxLength} encoded characters, as the spec asks: whole
   * entries only; entries longer than 128 characters go first (right-most first), then entries from
   * the end. Returns this list when it already fits.
   */
  public TraceState truncatedTo(int maxLength) {
    if (maxLength < 0) {
      throw new IllegalArgumentException("maxLength " + maxLength + " is negative");
    }
    int length = encodedLength(members);
    if (length <= maxLength) {
      return this;
    }
    List<Member> kept = new ArrayList<>(members);
    for (int i = kept.size() - 1; i >= 0 && length > maxLength; i--) {
      if (kept.get(i).encodedLength() > LONG_ENTRY) {
        length -= removedLength(kept, i);
      }
    }
    while (length > maxLength) {
      length -= removedLength(kept, kept.size() - 1);
    }
    return new TraceState(kept);
  }

  /** Removes entry {@code index} and returns how much shorter that makes the encoded list. */
  private static int removedLength(List<Member> members, int index) {
    int comma = members.size() > 1 ? 1 : 0;
    return members.remove(index).encodedLength() + comma;
  }

  /** The header value: entries joined with {@code ,}; empty for the empty list. */
  public String encode() {
    StringBuilder out = new StringBuilder(encodedLength(members));
    for (Member member : members) {
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(member.key()).append('=').append(member.value());
    }
    return out.toString();
  }

  private static int encodedLength(List<Member> members) {
    int length = Math.max(members.size() - 1, 0); // commas
    for (Member member : members) {
      length += member.encodedLength();
    }
    return length;
  }

  static boolean isValidKey(CharSequence key, int start, int end) {
    int length = end - start;
    if (length <= 0 || length > MAX_KEY_LENGTH) {
      return false;
    }
    char first = key.charAt(start);
    if (!(isLcAlpha(first) || isDigit(first))) {
      return false;
    }
    for (int i = start + 1; i < end; i++) {
      char c = key.charAt(i);
      if (!(isLcAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@')) {
        return false;
      }
    }
    return true;
  }

  static boolean isValidValue(CharSequence value, int start, int end) {
    int length = end - start;
    if (length <= 0 || length > MAX_VALUE_LENGTH || value.charAt(end - 1) == ' ') {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7E || c == ',' || c == '=') {
        return false;
      }
    }
    return true;
  }

  private static boolean isLcAlpha(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * One {@code key=value} entry.
   *
   * @param key the vendor key (see {@link TraceState#isValidKey})
   * @param value the opaque value (see {@link TraceState#isValidValue})
   */
  public record Member(String key, String value) {

    /**
     * Checks the grammar.
     *
     * @throws IllegalArgumentException if {@code key} or {@code value} breaks it
     */
    public Member {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      if (!isValidKey(key)) {
        throw new IllegalArgumentException(
            "invalid tracestate key '"
                + key
                + "': need 1 to 256 of a-z 0-9 _ - * / @, starting with a-z or 0-9");
      }
      if (!isValidValue(value)) {
        throw new IllegalArgumentException(
            "invalid tracestate value for key '"
                + key
                + "': need 1 to 256 printable ASCII characters without ',' and '=', not ending"
                + " in a space");
      }
    }

    int encodedLength() {
      return key.length() + 1 + value.length();
    }
  }
}
