package io.reqctx.internal.wire;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Codec for the W3C Trace Context {@code traceparent} header (Trace Context Level 2): the trace id,
 * the caller's parent id and the trace flags.
 *
 * <p><b>Reading</b> ({@link #parse}): optional whitespace (space, tab) around the value is ignored.
 * The version is two lower-case hex digits; {@code ff} is invalid. Version {@code 00} is exactly 55
 * characters. A higher version is read as the spec asks: at least 55 characters, the version-00
 * fields at their version-00 positions, and either nothing after the flags or a {@code -} followed
 * by fields that are not looked at. Ids are lower-case hex and not all zeros. Anything else, a
 * value longer than {@link #MAX_LENGTH}, or a header that arrived more than once, is invalid: the
 * caller starts a new trace and drops {@code tracestate} (see {@link TraceContext}).
 *
 * <p><b>Writing</b> ({@link #encode}): always version {@code 00}; of the flags only the ones this
 * version defines are kept ({@link #FLAG_SAMPLED}, {@link #FLAG_RANDOM}): the spec requires the
 * others to be sent as zero. A hop keeps the trace id and the flags and sends its own parent id.
 *
 * <pre>{@code
 * TraceParent in = TraceParent.parse(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
 * in.sampled();                        // true
 * in.randomTraceId();                  // true
 * TraceParent out = in.withFreshParentId();
 * out.encode();  // "00-4bf92f3577b34da6a3ce929d0e0e4736-<16 new hex digits>-03"
 * TraceParent.newRoot(false).encode(); // "00-<32 random hex>-<16 random hex>-02"
 * }</pre>
 *
 * @param traceId 32 lower-case hex digits, not all zeros
 * @param parentId 16 lower-case hex digits, not all zeros: the id of the caller's side of the call
 * @param flags the trace-flags byte as received, 0 to 255
 */
public record TraceParent(String traceId, String parentId, int flags) {


  /** The caller may have recorded trace data. */
  public static final int FLAG_SAMPLED = 0x01;

  /** At least the right-most 7 bytes of the trace id are random (Trace Context Level 2). */
  public static final int FLAG_RANDOM = 0x02;

  /** Longest value read, whitespace included; longer values are invalid without being scanned. */
  public static final int MAX_LENGTH = 512;

  /** Length of a version-00 value: {@code 2 + 1 + 32 + 1 + 16 + 1 + 2}. */
  static final int VERSION_00_LENGTH = 55;

  private static final int KNOWN_FLAGS = FLAG_SAMPLED | FLAG_RANDOM;
  private static final int TRACE_ID_OFFSET = 3;
  private static final int PARENT_ID_OFFSET = 36;
  private static final int FLAGS_OFFSET = 53;
  private static final int TRACE_ID_LENGTH = 32;
  private static final int PARENT_ID_LENGTH = 16;

  /**
   * Checks the ids and the flags.
   *
   * @throws IllegalArgumentException if an id is not lower-case hex of its length or is all zeros,
   *     or if {@code flags} is not 0 to 255
   */
  public TraceParent {
    requireNonNull(traceId, "traceId");
    requireNonNull(parentId, "parentId");
    if (!isValidTraceId(traceId)) {
      throw new IllegalArgumentException(
          "invalid trace id '" + traceId + "': need 32 lower-case hex digits, not all zeros");
    }
    if (!isValidParentId(parentId)) {
      throw new IllegalArgumentException(
          "invalid parent id '" + parentId + "': need 16 lower-case hex digits, not all zeros");
    }
    if (flags < 0 || flags > 0xFF) {
      throw new IllegalArgumentException("trace flags " + flags + " are not one byte (0 to 255)");
    }
  }

  /**
   * Reads one {@code traceparent} value.
   *
   * @return the parsed value, or null when {@code value} is null or invalid (see the class comment)
   */
  public static @Nullable TraceParent parse(@Nullable CharSequence value) {
    if (value == null || value.length() > MAX_LENGTH) {
      return null;
    }
    int start = Ows.skipLeading(value, 0, value.length());
    int end = Ows.skipTrailing(value, start, value.length());
    int length = end - start;
    if (length < VERSION_00_LENGTH) {
      return null;
    }
    int high = LowerHex.digit(value.charAt(start));
    int low = LowerHex.digit(value.charAt(start + 1));
    if (high < 0 || low < 0 || value.charAt(start + 2) != '-') {
      return null; // the version prefix cannot be parsed
    }
    int version = (high << 4) | low;
    if (version == 0xFF || (version == 0 && length != VERSION_00_LENGTH)) {
      return null;
    }
    if (length > VERSION_00_LENGTH && value.charAt(start + VERSION_00_LENGTH) != '-') {
      return null; // a higher version must continue with "-" after the flags
    }
    int traceId = start + TRACE_ID_OFFSET;
    int parentId = start + PARENT_ID_OFFSET;
    int flags = start + FLAGS_OFFSET;
    if (!isId(value, traceId, TRACE_ID_LENGTH)
        || value.charAt(parentId - 1) != '-'
        || !isId(value, parentId, PARENT_ID_LENGTH)
        || value.charAt(flags - 1) != '-'
        || !LowerHex.isLowerHex(value, flags, flags + 2)) {
      return null;
    }
    return new TraceParent(
        value.subSequence(traceId, traceId + TRACE_ID_LENGTH).toString(),
        value.subSequence(parentId, parentId + PARENT_ID_LENGTH).toString(),
        (LowerHex.digit(value.charAt(flags)) << 4) | LowerHex.digit(value.charAt(flags + 1)));
  }

  /**
   * Reads the {@code traceparent} header from all the values it arrived with: absent, or present
   * more than once (ambiguous: which caller is the parent?), reads as null, like an invalid value.
   */
  public static @Nullable TraceParent parse(List<String> headerValues) {
    requireNonNull(headerValues, "headerValues");
    return headerValues.size() == 1 ? parse(headerValues.get(0)) : null;
  }

  /**
   * The start of a new trace: a random trace id (so {@link #FLAG_RANDOM} is set), a random parent id
   * for the first call, and the sampled flag as given (the spec's default for a trace started
   * without a recording decision is not sampled).
   */
  public static TraceParent newRoot(boolean sampled) {
    return new TraceParent(
        LowerHex.randomNonZero(2),
        randomParentId(),
        FLAG_RANDOM | (sampled ? FLAG_SAMPLED : 0));
  }

  /** A random parent id: 16 lower-case hex digits, never all zeros. */
  public static String randomParentId() {
    return LowerHex.randomNonZero(1);
  }

  /** True when {@code value} is 32 lower-case hex digits, not all zeros. */
  public static boolean isValidTraceId(CharSequence value) {
    return value.length() == TRACE_ID_LENGTH && isId(value, 0, TRACE_ID_LENGTH);
  }

  /** True when {@code value} is 16 lower-case hex digits, not all zeros. */
  public static boolean isValidParentId(CharSequence value) {
    return value.length() == PARENT_ID_LENGTH && isId(value, 0, PARENT_ID_LENGTH);
  }

  /**
   * The same trace and flags with a new random parent id, different from this one: what a hop
   * without its own spans sends on each outbound call, so every callee can tell its callers apart.
   */
  public TraceParent withFreshParentId() {
    String fresh;
    do {
      fresh = randomParentId();
    } while (fresh.equals(parentId));
    return new TraceParent(traceId, fresh, flags);
  }

  /** The same trace and flags with {@code parentId} (for example the id of the caller's span). */
  public TraceParent withParentId(String parentId) {
    return new TraceParent(traceId, parentId, flags);
  }

  /** The sampled flag: the caller may have recorded trace data. */
  public boolean sampled() {
    return (flags & FLAG_SAMPLED) != 0;
  }

  /** The random flag: the right-most 7 bytes of the trace id are random. */
  public boolean randomTraceId() {
    return (flags & FLAG_RANDOM) != 0;
  }

  /** The header value to send: version {@code 00}, only the defined flags. */
  public String encode() {
    int sent = flags & KNOWN_FLAGS;
    return new StringBuilder(VERSION_00_LENGTH)
        .append("00-")
        .append(traceId)
        .append('-')
        .append(parentId)
        .append("-0")
        .append(Character.forDigit(sent, 16))
        .toString();
  }

  private static boolean isId(CharSequence value, int start, int length) {
    return LowerHex.isLowerHex(value, start, start + length)
        && !LowerHex.isAllZeros(value, start, start + length);
  }
}
