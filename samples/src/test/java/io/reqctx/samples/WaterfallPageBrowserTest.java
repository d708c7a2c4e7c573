package io.reqctx.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reqctx.testing.StrictLeakExtension;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/**
 * The demo's waterfall page in a real browser: headless Chromium (Debian's {@code chromium}, installed by
 * {@code scripts/install-chromium.sh}) loads the page {@code demo} wrote, and the test reads back what
 * Chromium laid out (the DOM after the page's script measured the drawn bars) and what it painted (a
 * screenshot, kept under {@code target/waterfall-screenshots/}). When Chromium is missing the test
 * runs that script itself (as CI's build does on a fresh machine); it skips, saying why, only when the
 * script cannot install it (no root, no Debian packages).
 */
@ExtendWith(StrictLeakExtension.class)
class WaterfallPageBrowserTest {
  private static final Path OUT = Path.of("target", "waterfall-browser").toAbsolutePath();
  private static final Path SCREENSHOTS = Path.of("target", "waterfall-screenshots").toAbsolutePath();
  private static final Pattern HOP = Pattern.compile(
      "<g class=\"hop\" data-tier=\"(\\w+)\" data-outcome=\"(\\w+)\" data-start-ms=\"(\\d+)\" data-received-ms=\"(\\d+)\" "
          + "data-sent-ms=\"(\\d+)\" data-elapsed-ms=\"(\\d+)\" data-drawn-received-px=\"([\\d.]+)\" "
          + "data-drawn-sent-px=\"([\\d.]+)\" data-drawn-elapsed-px=\"([\\d.]+)\">");
  private static final Pattern PX_PER_MS = Pattern.compile("data-px-per-ms=\"([\\d.]+)\"");

  static Path chromium;
  static Path happyPage;

  @BeforeAll
  static void writeThePagesWithTheDemo() throws Exception {
    Optional<Path> found = chromium();
    String install = "";
    if (found.isEmpty()) {
      install = installChromium();
      found = chromium();
    }
    assumeTrue(found.isPresent(),
        "chromium is not installed and scripts/install-chromium.sh could not install it (it needs root or sudo "
            + "and Debian's packages):\n" + install);
    chromium = found.orElseThrow();
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    int exit = cli.execute("demo", "--scenario", "happy", "--html", OUT.toString());
    assertThat(exit).as(out.toString()).isZero();
    happyPage = OUT.resolve("happy.html");
    assertThat(happyPage).exists();
  }

  @Test
  void chromiumDrawsEveryHopsBarsToTheScaleOfTheOneTimeAxis() throws Exception {
    String dom = run(List.of("--dump-dom", happyPage.toUri().toString()), "dump-dom");

    assertThat(dom).contains("data-rendered=\"true\"");
    Matcher scale = PX_PER_MS.matcher(dom);
    assertThat(scale.find()).as(dom).isTrue();
    double pxPerMs = Double.parseDouble(scale.group(1));
    List<String> tiers = new ArrayList<>();
    Matcher hop = HOP.matcher(dom);
    while (hop.find()) {
      tiers.add(hop.group(1));
      assertThat(hop.group(2)).isEqualTo("OK");
      // What Chromium laid out is what the numbers say, on one scale (1.5 px for rounding and stroke).
      assertThat(Double.parseDouble(hop.group(7))).isCloseTo(Long.parseLong(hop.group(4)) * pxPerMs, within(1.5));
      assertThat(Double.parseDouble(hop.group(8))).isCloseTo(Long.parseLong(hop.group(5)) * pxPerMs, within(1.5));
      assertThat(Double.parseDouble(hop.group(9)))
          .isCloseTo(Math.max(1, Long.parseLong(hop.group(6)) * pxPerMs), within(1.5));
      assertThat(Long.parseLong(hop.group(4))).isPositive();
    }
    assertThat(tiers).containsExactly("gateway", "service", "service", "cache");
  }

  @Test
  void chromiumPaintsTheBudgetBarsAndTheOutcomeColours() throws Exception {
    Files.createDirectories(SCREENSHOTS);
    Path png = SCREENSHOTS.resolve("happy.png");
    Files.deleteIfExists(png);

    run(List.of("--screenshot=" + png, "--window-size=1100,700", "--hide-scrollbars", happyPage.toUri().toString()),
        "screenshot");

    assertThat(png).exists();
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1100);
    assertThat(pixels(image, 0x9ecae1)).as("budget received bars").isGreaterThan(500);
    assertThat(pixels(image, 0x3182bd)).as("budget sent bars").isGreaterThan(300);
    assertThat(pixels(image, 0x2ca02c)).as("elapsed bars of OK hops, and the legend").isGreaterThan(100);
    assertThat(pixels(image, 0xd62728)).as("no hop of the happy path failed").isZero();
  }

  private static long pixels(BufferedImage image, int rgb) {
    long count = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int p = image.getRGB(x, y) & 0xffffff;
        if (Math.abs((p >> 16) - (rgb >> 16)) <= 3 && Math.abs(((p >> 8) & 0xff) - ((rgb >> 8) & 0xff)) <= 3
            && Math.abs((p & 0xff) - (rgb & 0xff)) <= 3) {
          count++;
        }
      }
    }
    return count;
  }

  /** One headless Chromium run with a fresh profile; its stdout. */
  private static String run(List<String> args, String name) throws Exception {
    Path profile = Files.createTempDirectory(Files.createDirectories(OUT), "chromium-profile-");
    List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile));
    command.addAll(args);
    Path stdout = OUT.resolve(name + ".out");
    Path stderr = OUT.resolve(name + ".err");
    Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    if (!process.waitFor(180, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("chromium did not finish within 180 s: " + command);
    }
    assertThat(process.exitValue()).as("chromium " + command + "\n" + Files.readString(stderr)).isZero();
    return Files.readString(stdout, StandardCharsets.UTF_8);
  }

  /** Runs the project's own install script (apt-get; root or sudo) and returns what it printed. */
  private static String installChromium() throws Exception {
    Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("scripts/install-chromium.sh");
    Path log = Files.createTempFile("install-chromium", ".log");
    Process process = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!process.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return script + " took more than 600 s:\n" + Files.readString(log);
    }
    return script + " exited " + process.exitValue() + ":\n" + Files.readString(log);
  }

  private static Optional<Path> chromium() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser")) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }
}
