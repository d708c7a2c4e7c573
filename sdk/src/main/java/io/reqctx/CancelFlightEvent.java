package io.reqctx;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** Flight recorder event: a scope was cancelled. */
@Name("io.reqctx.Cancel")
@Label("Request Cancelled")
@Category({"reqctx"})
@StackTrace(false)
final class CancelFlightEvent extends Event {
  @Label("Request Id") String requestId;
  @Label("Tier") String tier;
  @Label("Cause") String cause;
}
