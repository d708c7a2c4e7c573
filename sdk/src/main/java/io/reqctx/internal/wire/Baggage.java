package io.reqctx.internal.wire;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Codec for the W3C Baggage {@code baggage} header: an ordered list of application entries, each a
 * key, a percent-encoded UTF-8 value and optional properties.
 *
 * <pre>{@code
 * baggage-string = list-member 0*179( OWS "," OWS list-member )
 * list-member    = key OWS "=" OWS value *( OWS ";" OWS property )
 * property       = key OWS "=" OWS value / key OWS
 * key            = token                          ; RFC 9110 tchar
 * value          = *baggage-octet                 ; %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
 * }</pre>
 *
 * <p><b>Reading</b> ({@link #parse}): repeated headers are one list joined with commas; optional
 * whitespace and empty entries are ignored. An entry that breaks the grammar (including a {@code %}
 * not followed by two hex digits) is dropped on its own; the others are kept. Duplicate keys are
 * kept, in order, as the spec allows. Values decode as UTF-8, with U+FFFD for byte sequences that
 * are not UTF-8, as the spec requires. Then the limits apply to the whole list, all headers
 * together: entries are kept in order while the list holds at most {@link #MAX_MEMBERS} entries
 * and encodes to at most {@link #MAX_BYTES} bytes; an entry that would break either limit is dropped
 * whole, never cut. Input longer than {@link #MAX_INPUT_LENGTH} is dropped unread.
 *
 * <p><b>Writing</b> ({@link #encode}): entries as received (their encoding untouched, whitespace
 * removed) joined with {@code ,}.
 *
 * <pre>{@code
 * Baggage in = Baggage.parse(List.of("userId = alice, serverNode=DF%2028;region", "bad key=1"));
 * in.get("serverNode");  // "DF 28"
 * in.encode();           // "userId=alice,serverNode=DF%2028;region"
 * Baggage.Entry.of("user", "Amélie").encode();  // "user=Am%C3%A9lie"
 * }</pre>
 *
 * @param entries the entries in order; at most {@link #MAX_MEMBERS}, encoding to at most {@link
 *     #MAX_BYTES} bytes
 */
public record Baggage(List<Entry> entries) {


  /** The most entries kept (the spec's propagation minimum). */
  public static final int MAX_MEMBERS = 64;

  /** The longest encoded list kept, in bytes (the spec's propagation minimum). */
  public static final int MAX_BYTES = 8192;

  /**
   * Longest input read, all repeated values joined with commas, whitespace included: four times
   * {@link #MAX_BYTES}. Longer input is dropped without being scanned.
   */
  public static final int MAX_INPUT_LENGTH = 4 * MAX_BYTES;

  /** The empty list. */
  public static final Baggage EMPTY = new Baggage(List.of());

  /**
   * Checks the limits.
   *
   * @throws IllegalArgumentException if there are more than {@link #MAX_MEMBERS} entries or the
   *     list encodes to more than {@link #MAX_BYTES} bytes; {@link #fitting} drops what does not fit
   */
  public Baggage {
    entries = List.copyOf(entries);
    if (entries.size() > MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "baggage has " + entries.size() + " entries; at most " + MAX_MEMBERS + " are allowed"
              + " (Baggage.fitting(...) drops the ones that do not fit)");
    }
    int bytes = encodedLength(entries);
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "baggage encodes to " + bytes + " bytes; at most " + MAX_BYTES + " are allowed"
              + " (Baggage.fitting(...) drops the entries that do not fit)");
    }
  }

  /**
   * The entries, in order, that fit the limits: each entry is kept when the list with it still has
   * at most {@link #MAX_MEMBERS} entries and {@link #MAX_BYTES} bytes, and dropped whole otherwise.
   */
  public static Baggage fitting(List<Entry> entries) {
    List<Entry> kept = new ArrayList<>(Math.min(entries.size(), MAX_MEMBERS));
    int bytes = 0;
    for (Entry entry : entries) {
      if (kept.size() == MAX_MEMBERS) {
        break;
      }
      int withEntry = bytes + (kept.isEmpty() ? 0 : 1) + entry.encodedLength();
      if (withEntry <= MAX_BYTES) {
        kept.add(entry);
        bytes = withEntry;
      }
    }
    return kept.isEmpty() ? EMPTY : new Baggage(kept);
  }

  /** Reads {@code baggage} from all the values it arrived with, in arrival order; never null. */
  public static Baggage parse(List<String> headerValues) {
    requireNonNull(headerValues, "headerValues");
    if (Ows.joinedLength(headerValues) > MAX_INPUT_LENGTH) {
      return EMPTY;
    }
    List<Entry> entries = new ArrayList<>();
    Ows.forEachElement(
        headerValues,
        (value, start, end) -> {
          Entry entry = parseEntry(value, start, end);
          if (entry != null) {
            entries.add(entry);
          }
          return true;
        });
    return fitting(entries);
  }

  /** Reads one {@code baggage} value; see {@link #parse(List)}. */
  public static Baggage parse(String headerValue) {
    return parse(List.of(requireNonNull(headerValue, "headerValue")));
  }

  /** The decoded value of the first entry with {@code key}, or null. */
  public @Nullable String get(String key) {
    Entry entry = entry(key);
    return entry == null ? null : entry.decodedValue();
  }

  /** The first entry with {@code key}, or null. */
  public @Nullable Entry entry(String key) {
    requireNonNull(key, "key");
    for (Entry entry : entries) {
      if (entry.key().equals(key)) {
        return entry;
      }
    }
    return null;
  }

  /** True when {@code key} can be a baggage key: an RFC 9110 token. */
  public static boolean isValidKey(String key) {
    return isToken(requireNonNull(key, "key"));
  }

  /** True when there are no entries (then the header should not be sent at all). */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The header value: entries joined with {@code ,}; empty for the empty list. */
  public String encode() {
    StringBuilder out = new StringBuilder(encodedLength(entries));
    for (Entry entry : entries) {
      if (out.length() > 0) {
        out.append(',');
      }
      entry.appendTo(out);
    }
    return out.toString();
  }

  private static int encodedLength(List<Entry> entries) {
    int length = Math.max(entries.size() - 1, 0);
    for (Entry entry : entries) {
      length += entry.encodedLength();
    }
    return length;
  }

  /** One list member, {@code [start, end)} with OWS already trimmed; null when it breaks the grammar. */
  private static @Nullable Entry parseEntry(String value, int start, int end) {
    int keyEnd = skipTokenChars(value, start, end);
    int i = Ows.skipLeading(value, keyEnd, end);
    if (keyEnd == start || i == end || value.charAt(i) != '=') {
      return null;
    }
    int valueStart = Ows.skipLeading(value, i + 1, end);
    int valueEnd = skipValueChars(value, valueStart, end);
    if (!hasValidEscapes(value, valueStart, valueEnd)) {
      return null;
    }
    List<Property> properties = new ArrayList<>(0);
    i = Ows.skipLeading(value, valueEnd, end);
    while (i < end) {
      if (value.charAt(i) != ';') {
        return null;
      }
      int propertyKeyStart = Ows.skipLeading(value, i + 1, end);
      int propertyKeyEnd = skipTokenChars(value, propertyKeyStart, end);
      if (propertyKeyEnd == propertyKeyStart) {
        return null;
      }
      String propertyKey = value.substring(propertyKeyStart, propertyKeyEnd);
      i = Ows.skipLeading(value, propertyKeyEnd, end);
      String propertyValue = null;
      if (i < end && value.charAt(i) == '=') {
        int propertyValueStart = Ows.skipLeading(value, i + 1, end);
        int propertyValueEnd = skipValueChars(value, propertyValueStart, end);
        if (!hasValidEscapes(value, propertyValueStart, propertyValueEnd)) {
          return null;
        }
        propertyValue = value.substring(propertyValueStart, propertyValueEnd);
        i = Ows.skipLeading(value, propertyValueEnd, end);
      }
      properties.add(new Property(propertyKey, propertyValue));
    }
    return new Entry(
        value.substring(start, keyEnd), value.substring(valueStart, valueEnd), properties);
  }

  private static int skipTokenChars(CharSequence value, int start, int end) {
    while (start < end && isTokenChar(value.charAt(start))) {
      start++;
    }
    return start;
  }

  private static int skipValueChars(CharSequence value, int start, int end) {
    while (start < end && isBaggageOctet(value.charAt(start))) {
      start++;
    }
    return start;
  }

  /** RFC 9110 {@code tchar}. */
  static boolean isTokenChar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  /** {@code baggage-octet}: visible ASCII except {@code "} {@code ,} {@code ;} {@code \}. */
  static boolean isBaggageOctet(int c) {
    return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
  }

  private static boolean isToken(String value) {
    return !value.isEmpty() && skipTokenChars(value, 0, value.length()) == value.length();
  }

  /** All baggage-octets, every {@code %} followed by two hex digits. */
  private static boolean isEncodedValue(String value) {
    return skipValueChars(value, 0, value.length()) == value.length()
        && hasValidEscapes(value, 0, value.length());
  }

  private static boolean hasValidEscapes(CharSequence value, int start, int end) {
    for (int i = start; i < end; i++) {
      if (value.charAt(i) == '%') {
        if (i + 2 >= end
            || Character.digit(value.charAt(i + 1), 16) < 0
            || Character.digit(value.charAt(i + 2), 16) < 0) {
          return false;
        }
        i += 2;
      }
    }
    return true;
  }

  /**
   * One list member.
   *
   * @param key an RFC 9110 token
   * @param value the value as it travels: baggage-octets, percent-encoded UTF-8 (may be empty)
   * @param properties the properties in order, possibly none
   */
  public record Entry(String key, String value, List<Property> properties) {

    /**
     * Checks the grammar.
     *
     * @throws IllegalArgumentException if {@code key} is not a token or {@code value} is not
     *     percent-encoded baggage-octets
     */
    public Entry {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      properties = List.copyOf(properties);
      if (!isToken(key)) {
        throw new IllegalArgumentException(
            "invalid baggage key '" + key + "': need an RFC 9110 token (letters, digits and"
                + " !#$%&'*+-.^_`|~)");
      }
      if (!isEncodedValue(value)) {
        throw new IllegalArgumentException(
            "invalid encoded baggage value for key '" + key + "': need visible ASCII except"
                + " \" , ; \\ and every % followed by two hex digits; Entry.of(key, text) encodes"
                + " any text");
      }
    }

    /** An entry without properties for {@code text}, percent-encoded as the spec asks. */
    public static Entry of(String key, String text) {
      requireNonNull(text, "text");
      return new Entry(
          key, PercentEncoding.encode(text, c -> isBaggageOctet(c) && c != '%'), List.of());
    }

    /**
     * An entry for {@code text}, percent-encoded as {@link #of(String, String)} does, with the
     * properties {@code encodedProperties} gives as they travel ({@code "p1;p2=x"}, what follows the
     * value's {@code ;}); properties that break the grammar are left out, the entry is kept.
     *
     * @throws IllegalArgumentException if {@code key} is not a token
     */
    public static Entry of(String key, String text, String encodedProperties) {
      Entry plain = of(key, text);
      requireNonNull(encodedProperties, "encodedProperties");
      String member = "p=;" + encodedProperties;
      Entry parsed = parseEntry(member, 0, Ows.skipTrailing(member, 0, member.length()));
      return parsed == null || parsed.properties().isEmpty()
          ? plain
          : new Entry(plain.key(), plain.value(), parsed.properties());
    }

    /** The properties as they travel, joined with {@code ;} ({@code "p1;p2=x"}); empty when none. */
    public String encodedProperties() {
      if (properties.isEmpty()) {
        return "";
      }
      StringBuilder out = new StringBuilder();
      appendProperties(out);
      return out.substring(1);
    }

    /** The value decoded from percent-encoded UTF-8 (U+FFFD for bytes that are not UTF-8). */
    public String decodedValue() {
      return requireNonNull(
          PercentEncoding.decode(value, 0, value.length(), PercentEncoding.InvalidUtf8.REPLACE));
    }

    /** This entry as it travels: {@code key=value;property...}. */
    public String encode() {
      StringBuilder out = new StringBuilder(encodedLength());
      appendTo(out);
      return out.toString();
    }

    void appendTo(StringBuilder out) {
      out.append(key).append('=').append(value);
      appendProperties(out);
    }

    private void appendProperties(StringBuilder out) {
      for (Property property : properties) {
        out.append(';').append(property.key());
        if (property.value() != null) {
          out.append('=').append(property.value());
        }
      }
    }

    int encodedLength() {
      int length = key.length() + 1 + value.length();
      for (Property property : properties) {
        length += 1 + property.key().length();
        String propertyValue = property.value();
        if (propertyValue != null) {
          length += 1 + propertyValue.length();
        }
      }
      return length;
    }
  }

  /**
   * One property of an entry: {@code key} or {@code key=value}; the spec gives them no meaning.
   *
   * @param key an RFC 9110 token
   * @param value null for a key-only property; otherwise baggage-octets, percent-encoded
   */
  public record Property(String key, @Nullable String value) {

    /**
     * Checks the grammar.
     *
     * @throws IllegalArgumentException if {@code key} is not a token or {@code value} is not
     *     percent-encoded baggage-octets
     */
    public Property {
      requireNonNull(key, "key");
      if (!isToken(key)) {
        throw new IllegalArgumentException("invalid baggage property key '" + key + "'");
      }
      if (value != null && !isEncodedValue(value)) {
        throw new IllegalArgumentException("invalid baggage property value for key '" + key + "'");
      }
    }
  }
}
