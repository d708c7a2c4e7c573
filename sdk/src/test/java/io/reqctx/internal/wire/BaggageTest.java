package io.reqctx.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.reqctx.testing.StrictLeakExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.FieldSource;

/** Vectors from the W3C Baggage text (baggage/HTTP_HEADER_FORMAT.md) and its grammar. */
@ExtendWith(StrictLeakExtension.class)
class BaggageTest {

  @Test
  void readsTheSpecExampleWithProperties() {
    Baggage baggage =
        Baggage.parse(
            "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue");

    assertThat(baggage.entries())
        .containsExactly(
            new Baggage.Entry(
                "key1",
                "value1",
                List.of(new Baggage.Property("property1", null), new Baggage.Property("property2", null))),
            new Baggage.Entry("key2", "value2", List.of()),
            new Baggage.Entry(
                "key3", "value3", List.of(new Baggage.Property("propertyKey", "propertyValue"))));
    assertThat(baggage.encode())
        .isEqualTo("key1=value1;property1;property2,key2=value2,key3=value3;propertyKey=propertyValue");
  }

  @Test
  void valuesArePercentEncodedUtf8() {
    Baggage baggage = Baggage.parse("userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false");

    assertThat(baggage.get("userId")).isEqualTo("Amélie");
    assertThat(baggage.get("serverNode")).isEqualTo("DF 28");
    assertThat(baggage.get("isProduction")).isEqualTo("false");
    assertThat(baggage.get("absent")).isNull();
    assertThat(baggage.encode()).isEqualTo("userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false");
  }

  @ParameterizedTest(name = "{0}")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#BAGGAGE_LISTS")
  void repeatedHeadersAreOneListWithWhitespaceAndEmptyEntriesIgnored(W3cVectors.Lists lists) {
    assertThat(Baggage.parse(lists.headers()).encode()).isEqualTo(lists.reads());
  }

  @Test
  void emptyInputIsTheEmptyList() {
    assertThat(Baggage.parse(List.of())).isSameAs(Baggage.EMPTY);
    assertThat(Baggage.parse("")).isSameAs(Baggage.EMPTY);
  }

  @ParameterizedTest(name = "{0}")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#BAGGAGE_VALUES")
  void valuesDecode(W3cVectors.Decoded value) {
    Baggage baggage = Baggage.parse("k=" + value.value());

    assertThat(baggage.get("k")).isEqualTo(value.decoded());
    assertThat(baggage.encode()).isEqualTo("k=" + value.value());
  }

  @Test
  void everyBaggageOctetStandsForItself() {
    String octets = "!#$&'()*+-./:<>?@[]^_`{|}~AZaz09";

    assertThat(Baggage.parse("k=" + octets).get("k")).isEqualTo(octets);
  }

  @Test
  void anEmptyValueIsAValue() {
    Baggage baggage = Baggage.parse("k=,j= ;p");

    assertThat(baggage.get("k")).isEmpty();
    assertThat(baggage.get("j")).isEmpty();
    assertThat(baggage.encode()).isEqualTo("k=,j=;p");
  }

  @ParameterizedTest(name = "member \"{0}\" is dropped, its neighbours kept")
  @FieldSource("io.reqctx.internal.wire.W3cVectors#BAGGAGE_INVALID_MEMBERS")
  void anEntryThatBreaksTheGrammarIsDroppedOnItsOwn(String member) {
    Baggage baggage = Baggage.parse("a=1," + member + ",z=26");

    assertThat(baggage.encode()).isEqualTo("a=1,z=26");
  }

  @Test
  void keysAreTokens() {
    String key = "Ab9!#$%&'*+-.^_`|~";

    assertThat(Baggage.parse(key + "=1").get(key)).isEqualTo("1");
  }

  @Test
  void propertiesKeepTheirOrderWithoutWhitespace() {
    Baggage baggage = Baggage.parse("k=v;p1;p2=x; p3 = y ;\tp4\t");

    assertThat(baggage.entries()).hasSize(1);
    assertThat(baggage.entries().get(0).properties())
        .containsExactly(
            new Baggage.Property("p1", null),
            new Baggage.Property("p2", "x"),
            new Baggage.Property("p3", "y"),
            new Baggage.Property("p4", null));
    assertThat(baggage.encode()).isEqualTo("k=v;p1;p2=x;p3=y;p4");
  }

  @Test
  void anEntryCarriesItsPropertiesAsTheyTravel() {
    Baggage.Entry entry = Baggage.parse("k=v;p1;p2=x").entries().get(0);

    assertThat(entry.encodedProperties()).isEqualTo("p1;p2=x");
    assertThat(Baggage.Entry.of("k", "v").encodedProperties()).isEmpty();
    assertThat(Baggage.Entry.of("k", "a b", "p1; p2 = x ").encode()).isEqualTo("k=a%20b;p1;p2=x");
    assertThat(Baggage.Entry.of("k", "v", "p=a b").encode()).as("properties outside the grammar left out").isEqualTo("k=v");
    assertThat(Baggage.Entry.of("k", "v", "").encode()).isEqualTo("k=v");
    assertThat(Baggage.isValidKey("Key-1")).isTrue();
    assertThat(Baggage.isValidKey("bad key")).isFalse();
    assertThat(Baggage.parse("k=1,j=2,k=3").entry("k")).isEqualTo(new Baggage.Entry("k", "1", List.of()));
    assertThat(Baggage.parse("k=1").entry("absent")).isNull();
  }

  @Test
  void duplicateKeysAreKeptInOrder() {
    Baggage baggage = Baggage.parse(List.of("k=1,j=2", "k=3"));

    assertThat(baggage.encode()).isEqualTo("k=1,j=2,k=3");
    assertThat(baggage.get("k")).isEqualTo("1");
  }

  @Test
  void atMost64EntriesAllHeadersTogether() {
    List<String> headers = List.of(members(1, 40), members(41, 65));

    Baggage baggage = Baggage.parse(headers);

    assertThat(baggage.entries()).hasSize(64);
    assertThat(baggage.get("k64")).isEqualTo("v");
    assertThat(baggage.get("k65")).isNull();
  }

  @Test
  void atMost8192BytesAndNeverAPartialEntry() {
    String big = "b=" + "x".repeat(8000);
    String fits = "s=" + "y".repeat(8192 - big.length() - 1 - 2);

    Baggage exact = Baggage.parse(List.of(big, fits));
    assertThat(exact.encode()).hasSize(8192);

    Baggage over = Baggage.parse(List.of(big, fits + "y", "t=1"));
    assertThat(over.encode()).isEqualTo(big + ",t=1");

    Baggage huge = Baggage.parse("a=1,h=" + "x".repeat(9000) + ",z=2");
    assertThat(huge.encode()).isEqualTo("a=1,z=2");
  }

  @Test
  void hugeInputIsDroppedWithoutScanning() {
    assertThat(Baggage.parse(" ".repeat(Baggage.MAX_INPUT_LENGTH) + "a=1")).isSameAs(Baggage.EMPTY);
  }

  @ParameterizedTest(name = "\"{0}\" encodes as \"{1}\"")
  @CsvSource(
      delimiter = '|',
      value = {
        "alice|alice",
        "DF 28|DF%2028",
        "Amélie|Am%C3%A9lie",
        "100%|100%25",
        "a,b;c\"d\\e|a%2Cb%3Bc%22d%5Ce",
        "a+b=c|a+b=c",
        "tab\there|tab%09here",
      })
  void textIsPercentEncodedWhereTheGrammarRequires(String text, String encoded) {
    Baggage.Entry entry = Baggage.Entry.of("k", text);

    assertThat(entry.value()).isEqualTo(encoded);
    assertThat(entry.encode()).isEqualTo("k=" + encoded);
    assertThat(Baggage.parse(entry.encode()).get("k")).isEqualTo(text);
  }

  @Test
  void fittingDropsWhatDoesNotFitAndTheConstructorRefusesIt() {
    List<Baggage.Entry> entries = new ArrayList<>();
    for (int i = 0; i < 70; i++) {
      entries.add(Baggage.Entry.of("k" + i, "v"));
    }

    assertThat(Baggage.fitting(entries).entries()).hasSize(64);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Baggage(entries))
        .withMessageContaining("70 entries")
        .withMessageContaining("Baggage.fitting");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Baggage(List.of(Baggage.Entry.of("k", "x".repeat(8191)))))
        .withMessageContaining("8193 bytes");
  }

  @Test
  void entriesRejectWhatTheGrammarRejects() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Baggage.Entry("bad key", "1", List.of()))
        .withMessageContaining("'bad key'");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Baggage.Entry("k", "a b", List.of()))
        .withMessageContaining("Entry.of(key, text)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Baggage.Entry("k", "%zz", List.of()));
    assertThatIllegalArgumentException().isThrownBy(() -> new Baggage.Property("p q", null));
    assertThatIllegalArgumentException().isThrownBy(() -> new Baggage.Property("p", "a,b"));
  }


  private static String members(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> "k" + i + "=v").collect(Collectors.joining(","));
  }
}
