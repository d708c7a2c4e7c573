package io.reqctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reqctx.testing.StrictLeakExtension;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(StrictLeakExtension.class)
class CtxKeyTest {
  enum Plan { FREE, PRO }

  @Test
  void propagatedKeyRoundTripsThroughItsHeaderValue() {
    CtxKey<UUID> tenant = CtxKey.propagated("tenant-rt", KeyCodec.of(UUID::toString, UUID::fromString)).build();
    UUID id = UUID.randomUUID();

    String wire = tenant.encodeForWire(id);

    assertThat(tenant.headerName()).isEqualTo("reqctx-key-tenant-rt");
    assertThat(tenant.decodeFromWire(wire)).isEqualTo(id);
    assertThat(tenant.droppedValues()).isZero();
  }

  @Test
  void builtInCodecsRoundTrip() {
    CtxKey<Long> quota = CtxKey.propagated("quota-rt", KeyCodec.int64()).build();
    CtxKey<Boolean> beta = CtxKey.propagated("beta-rt", KeyCodec.bool()).build();
    CtxKey<Plan> plan = CtxKey.propagated("plan-rt", KeyCodec.enumOf(Plan.class)).build();
    assertThat(quota.decodeFromWire(quota.encodeForWire(-42L))).isEqualTo(-42L);
    assertThat(beta.decodeFromWire(beta.encodeForWire(true))).isTrue();
    assertThat(plan.encodeForWire(Plan.PRO)).isEqualTo("pro");
    assertThat(plan.decodeFromWire("pro")).isEqualTo(Plan.PRO);
  }

  @Test
  void undecodableValueIsDroppedCountedAndReportedWithoutThrowing() {
    CtxKey<Long> quota = CtxKey.propagated("quota-bad", KeyCodec.int64()).build();
    List<String> reasons = new CopyOnWriteArrayList<>();
    try (CtxObserver.Registration r = CtxObserver.register(new CtxObserver() {
      @Override
      public void onDroppedValue(CtxKey<?> key, String reason) {
        reasons.add(key.name() + ": " + reason);
      }
    })) {
      assertThat(quota.decodeFromWire("twelve")).isNull();
      assertThat(quota.decodeFromWire("")).isNull();
    }
    assertThat(quota.droppedValues()).isEqualTo(2);
    assertThat(reasons).hasSize(2).allMatch(s -> s.startsWith("quota-bad: ")).noneMatch(s -> s.contains("twelve"));
  }

  @Test
  void oversizedValueIsDroppedInboundAndNotSentOutbound() {
    CtxKey<String> note = CtxKey.propagated("note-size", KeyCodec.string()).maxEncodedLength(8).build();
    assertThat(note.decodeFromWire("123456789")).isNull();
    assertThat(note.droppedValues()).isEqualTo(1);
    assertThat(note.encodeForWire("123456789")).isNull();
    assertThat(note.encodeForWire("12345678")).isEqualTo("12345678");
  }

  @Test
  void codecThatThrowsOnEncodeSendsNothing() {
    CtxKey<String> broken = CtxKey.propagated("broken-enc", KeyCodec.<String>of(s -> {
      throw new IllegalStateException("boom");
    }, s -> s)).build();
    assertThat(broken.encodeForWire("x")).isNull();
  }

  @Test
  void localKeysHaveNoWireForm() {
    CtxKey<String> local = CtxKey.local("local-only");
    assertThat(local.isPropagated()).isFalse();
    assertThat(local.encodeForWire("x")).isNull();
    assertThat(local.decodeFromWire("x")).isNull();
    assertThatThrownBy(local::headerName).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void propagatedKeyNamesFollowTheHeaderGrammar() {
    assertThatThrownBy(() -> CtxKey.propagated("Tenant", KeyCodec.string()).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CtxKey.propagated("blob-bin", KeyCodec.string()).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CtxKey.propagated("ok", KeyCodec.string()).maxEncodedLength(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sensitiveKeysDescribeValuesRedacted() {
    CtxKey<String> token = CtxKey.propagated("token-desc", KeyCodec.string()).sensitive().build();
    assertThat(token.isSensitive()).isTrue();
    assertThat(token.describe("hunter2")).isEqualTo("<redacted>");
    assertThat(token.toString()).contains("sensitive").doesNotContain("hunter2");
  }
}
