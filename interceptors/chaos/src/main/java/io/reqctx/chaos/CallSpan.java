package io.reqctx.chaos;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The span of one inbound request, known once reqctx has opened the request (chaos acting earlier,
 * outside reqctx, holds its events until then). Events of a request reqctx refused, which never gets
 * that far, are dropped.
 */
final class CallSpan {
  private @Nullable Span span; // guarded by this
  private @Nullable List<Object[]> held; // guarded by this: {name, attributes} pairs

  /** Adds an event now, or as soon as the span is known. */
  synchronized void event(String name, Attributes attributes) {
    if (span != null) {
      add(span, name, attributes);
      return;
    }
    if (held == null) {
      held = new ArrayList<>(2);
    }
    held.add(new Object[] {name, attributes});
  }

  /** The request's span is {@code current}: adds the events held so far. */
  synchronized void known(Span current) {
    span = current;
    if (held != null) {
      for (Object[] event : held) {
        add(current, (String) event[0], (Attributes) event[1]);
      }
      held = null;
    }
  }

  private static void add(Span span, String name, Attributes attributes) {
    if (span.getSpanContext().isValid()) {
      span.addEvent(name, attributes);
    }
  }
}
