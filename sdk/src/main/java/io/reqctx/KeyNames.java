package io.reqctx;

import io.reqctx.wire.KeyHeader;

/** Where key names meet the wire grammar, so that CtxKey does not repeat it. */
final class KeyNames {
  private KeyNames() {}

  static void checkPropagatedName(String name) {
    KeyHeader.headerName(name); // throws IllegalArgumentException naming the grammar
  }
}
