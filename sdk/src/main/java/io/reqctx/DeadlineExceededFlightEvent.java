package io.reqctx;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** Flight recorder event: a scope's deadline passed. */
@Name("io.reqctx.DeadlineExceeded")
@Label("Deadline Exceeded")
@Category({"reqctx"})
@StackTrace(false)
final class DeadlineExceededFlightEvent extends Event {
  @Label("Request Id") String requestId;
  @Label("Tier") String tier;
  @Label("Budget") @Timespan long budget;
}
