package io.reqctx;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** Flight recorder event: one request scope from open to close. */
@Name("io.reqctx.Scope")
@Label("Request Scope")
@Category({"reqctx"})
@Description("A request scope, from open to close")
@StackTrace(false)
final class ScopeFlightEvent extends Event {
  @Label("Request Id") String requestId;
  @Label("Tier") String tier;
  @Label("Hop") int hop;
  @Label("Budget at Open") @Timespan long budget;
  @Label("Outcome") String outcome;
  @Label("Work After Cancel") @Timespan long workAfterCancel;
}
