package io.reqctx;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** Flight recorder event: something leaked. */
@Name("io.reqctx.Leak")
@Label("Leak")
@Category({"reqctx"})
@StackTrace(false)
final class LeakFlightEvent extends Event {
  @Label("Kind") String kind;
  @Label("Description") String description;
  @Label("Creation Site") String creationSite;
}
