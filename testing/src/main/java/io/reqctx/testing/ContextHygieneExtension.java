package io.reqctx.testing;

import io.opentelemetry.context.Context;
import io.reqctx.RequestCtx;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a ctx (or any OpenTelemetry context) attached to the test thread: after
 * each test the current context must be the root again.
 *
 * <pre>{@code
 * @ExtendWith(ContextHygieneExtension.class)
 * class CheckoutTest { ... }
 * }</pre>
 */
public final class ContextHygieneExtension implements AfterEachCallback {

  @Override
  public void afterEach(ExtensionContext extension) {
    Context current = Context.current();
    if (current != Context.root()) {
      throw new AssertionError(
          extension.getDisplayName() + " left a context attached to its thread: " + RequestCtx.fromContext(current)
              + ". Close every Scope returned by makeCurrent() (try-with-resources).");
    }
  }
}
