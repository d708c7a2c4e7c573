package io.reqctx.budgets;

import java.util.Locale;

/**
 * Whether a method streams, as its {@code .proto} declares it ({@code stream} on the request, the
 * response or both) or the budget file says ({@code streaming: server}).
 *
 * <pre>{@code
 * Streaming.forName("bidi"); // BIDI
 * }</pre>
 */
public enum Streaming {
  /** One request, one response. */
  NONE,
  /** A stream of requests, one response. */
  CLIENT,
  /** One request, a stream of responses. */
  SERVER,
  /** Streams both ways. */
  BIDI;

  /** The value named {@code name} in any case ({@code none}, {@code client}, {@code server}, {@code bidi}). */
  public static Streaming forName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  /** The name used in budget files. */
  public String fileName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The streaming kind of a method with these two {@code stream} markers. */
  public static Streaming of(boolean clientStreaming, boolean serverStreaming) {
    if (clientStreaming) {
      return serverStreaming ? BIDI : CLIENT;
    }
    return serverStreaming ? SERVER : NONE;
  }
}
