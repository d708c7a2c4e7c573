package io.reqctx.samples.chain;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.reqctx.samples.proto.Hop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's last {@value #KEPT} answered requests as waterfall pages: {@code GET /waterfalls}
 * lists them (newest first) and {@code GET /waterfalls/{traceId}} is one request's {@link
 * WaterfallPage}. Requests without a trace id (the baseline without reqctx has none) are kept as
 * {@code request-1}, {@code request-2}, ...
 */
final class RecentWaterfalls implements HttpService {
  static final String INDEX = "/waterfalls";
  static final String PAGES = "prefix:/waterfalls/";
  static final int KEPT = 50;

  private record Page(String title, List<Hop> hops) {}

  private final Map<String, Page> recent = new LinkedHashMap<>(KEPT * 2, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Page> eldest) {
      return size() > KEPT;
    }
  };
  private long unnamed;

  /** Keeps the hops of one answered request. */
  synchronized void add(String traceId, String title, List<Hop> hops) {
    String id = traceId.isEmpty() ? "request-" + ++unnamed : traceId;
    recent.remove(id);
    recent.put(id, new Page(title, List.copyOf(hops)));
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    String rest = ctx.path().substring(INDEX.length()).replaceFirst("^/+", "");
    if (rest.isEmpty()) {
      return HttpResponse.of(HttpStatus.OK, MediaType.HTML_UTF_8, index());
    }
    Page entry;
    synchronized (this) {
      entry = recent.get(rest);
    }
    if (entry == null) {
      return HttpResponse.of(HttpStatus.NOT_FOUND, MediaType.PLAIN_TEXT_UTF_8,
          "no recent request with trace id '%s' (the gateway keeps the last %d; see /waterfalls)", rest, KEPT);
    }
    List<WaterfallPage.Row> rows = entry.hops().stream().map(hop -> WaterfallPage.Row.of(hop, 0)).toList();
    return HttpResponse.of(HttpStatus.OK, MediaType.HTML_UTF_8, WaterfallPage.render(entry.title(), rows,
        List.of("trace " + rest, "bars start at each hop's arrival (the gateway knows each hop's durations, not its start)"),
        null));
  }

  private String index() {
    List<Map.Entry<String, Page>> entries;
    synchronized (this) {
      entries = new ArrayList<>(recent.entrySet());
    }
    StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<title>reqctx: recent waterfalls</title></head><body><h1>Recent requests</h1><ul>\n");
    for (int i = entries.size() - 1; i >= 0; i--) {
      String id = WaterfallPage.escape(entries.get(i).getKey());
      html.append("<li><a href=\"/waterfalls/").append(id).append("\">")
          .append(WaterfallPage.escape(entries.get(i).getValue().title())).append("</a> ").append(id).append("</li>\n");
    }
    return html.append("</ul></body></html>\n").toString();
  }
}
