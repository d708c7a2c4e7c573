package io.reqctx.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The header keys reqctx reads and writes gRPC metadata with: one cached ASCII key per name, the same
 * instance on every call and from every thread, and a key that reads back what it wrote.
 */
class MetadataHeadersTest {

  @Test
  void aNameGetsOneAsciiKeyThatReadsBackWhatItWrote() {
    Metadata.Key<String> key = MetadataHeaders.key("reqctx-test-cached");

    assertThat(MetadataHeaders.key("reqctx-test-cached")).isSameAs(key);
    assertThat(key.name()).isEqualTo("reqctx-test-cached");
    Metadata metadata = new Metadata();
    MetadataHeaders.writer(metadata).put("reqctx-test-cached", "a");
    MetadataHeaders.writer(metadata).put("reqctx-test-cached", "b"); // put replaces
    assertThat(metadata.getAll(Metadata.Key.of("reqctx-test-cached", Metadata.ASCII_STRING_MARSHALLER))).containsExactly("b");
    assertThat(MetadataHeaders.reader(metadata).all("reqctx-test-cached")).isEqualTo(List.of("b"));
    assertThat(MetadataHeaders.reader(metadata).all("reqctx-test-absent")).isEmpty();
  }

  @Test
  void threadsAskingForANewNameAtOnceAllGetTheSameKey() throws Exception {
    int threads = 8;
    Queue<Metadata.Key<String>> seen = new ConcurrentLinkedQueue<>();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int i = 0; i < threads; i++) {
        pool.execute(() -> {
          try {
            go.await();
            seen.add(MetadataHeaders.key("reqctx-test-raced"));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      }
      go.countDown();
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(seen).hasSize(threads);
    Metadata.Key<String> first = seen.peek();
    assertThat(seen).allSatisfy(key -> assertThat(key).isSameAs(first)); // Metadata.Key equals by name: compare instances
  }
}
