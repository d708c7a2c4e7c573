#!/usr/bin/env bash
# Runs a real Prometheus (Debian's `prometheus` package) against the four tiers of `serve`, each with
# --metrics-port, sends requests that spend budgets, hit deadlines and get refused, and checks that the
# PromQL queries of docs/OBSERVABILITY.md answer with the series they exist for.
#
#   scripts/check-prometheus.sh     # needs `prometheus` on PATH (apt-get install prometheus), curl, python3
#
# Everything listens on 127.0.0.1. Takes about a minute; not part of CI (run it after changing metrics).
# Files: samples/target/prometheus-check/ (tier logs, prometheus.yml, prometheus.log, query answers).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/samples/target/prometheus-check"
python="$(command -v /usr/bin/python3 || command -v python3)"
if ! command -v prometheus >/dev/null 2>&1; then
  echo "prometheus is not installed (Debian: apt-get install prometheus)" >&2
  exit 2
fi
rm -rf "$work"
mkdir -p "$work"
samples="${REQCTX_SAMPLES_JAR:-$root/samples/target/reqctx-samples.jar}"
if [ ! -f "$samples" ]; then
  mvn -B -q -f "$root/pom.xml" -pl samples -am package -DskipTests
fi

read -r p_cache p_inventory p_order p_gateway m_cache m_inventory m_order m_gateway p_prom < <("$python" - <<'PY'
import socket
socks = []
for _ in range(9):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
PY
)

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

start_tier() { # role port metrics-port [downstream port]
  local args=(serve --role "$1" --port "$2" --metrics-port "$3")
  if [ $# -gt 3 ]; then args+=(--downstream "127.0.0.1:$4"); fi
  java -Xmx256m -jar "$samples" "${args[@]}" >"$work/$1.log" 2>&1 &
  pids+=($!)
}
await_line() { # file pattern
  for _ in $(seq 1 240); do
    if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "no '$2' in $1 within 120 s" >&2
  exit 1
}
start_tier cache "$p_cache" "$m_cache"
start_tier inventory "$p_inventory" "$m_inventory" "$p_cache"
start_tier order "$p_order" "$m_order" "$p_inventory"
start_tier gateway "$p_gateway" "$m_gateway" "$p_order"
for role in cache inventory order gateway; do await_line "$work/$role.log" "listening on"; done

cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: reqctx-samples
    static_configs:
      - targets: ['127.0.0.1:$m_gateway', '127.0.0.1:$m_order', '127.0.0.1:$m_inventory', '127.0.0.1:$m_cache']
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$p_prom" >"$work/prometheus.log" 2>&1 &
pids+=($!)

gateway="http://127.0.0.1:$p_gateway"
for i in 1 2 3 4 5; do curl -s -o /dev/null "$gateway/orders/$i"; done                       # budgets spent hop by hop
for i in 1 2 3; do curl -s -o /dev/null -H 'reqctx-budget-ms: 2000' "$gateway/orders/s$i?cacheDelayMs=1000"; done  # the cache's deadline
for i in 1 2 3; do curl -s -o /dev/null -H 'reqctx-budget-ms: 200' "$gateway/orders/t$i"; done  # refused for lack of budget

"$python" - "http://127.0.0.1:$p_prom" "$work" <<'PY'
import json, sys, time, urllib.parse, urllib.request
base, work = sys.argv[1], sys.argv[2]

def query(q):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=30) as r:
        answer = json.load(r)
    return answer["data"]["result"]

deadline = time.monotonic() + 120
while True:  # all four targets up, and scraped after the requests
    try:
        up = query("up == 1")
        if len(up) == 4 and query("reqctx_rejections_total"):
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("prometheus did not scrape the four tiers within 120 s; see prometheus.log")
    time.sleep(1)
time.sleep(3)  # a few more samples, so that rate() has two points

checks = [
    ("budget at arrival by tier (median)",
     "histogram_quantile(0.5, sum by (le, reqctx_tier) (rate(reqctx_budget_at_arrival_milliseconds_bucket[5m])))",
     lambda r: {s["metric"].get("reqctx_tier") for s in r} >= {"gateway", "service", "cache"}),
    ("propagation depth by tier",
     "histogram_quantile(0.99, sum by (le, reqctx_tier) (rate(reqctx_propagation_depth_bucket[5m])))",
     lambda r: {s["metric"].get("reqctx_tier") for s in r} >= {"gateway", "service", "cache"}),
    ("deadline exceeded by tier and side",
     "sum by (reqctx_tier, reqctx_side) (rate(reqctx_deadline_exceeded_total[5m]))",
     lambda r: any(s["metric"].get("reqctx_tier") == "cache" for s in r)),
    ("refused calls",
     "sum by (reqctx_tier, reqctx_callee_tier, reqctx_reason) (rate(reqctx_rejections_total[5m]))",
     lambda r: any(s["metric"].get("reqctx_reason") == "budget_exhausted" for s in r)),
    ("cancellations by cause",
     "sum by (reqctx_tier, reqctx_reason) (rate(reqctx_cancellations_total[5m]))",
     lambda r: len(r) > 0),
    ("work after cancel (p99)",
     "histogram_quantile(0.99, sum by (le, reqctx_tier) (rate(reqctx_work_after_cancel_milliseconds_bucket[5m])))",
     lambda r: True),  # present only when a scope outlived its cancel: printed, not required
    ("JVM memory by tier process",
     "sum by (instance) (jvm_memory_used_bytes)",
     lambda r: len(r) == 4),
]
failed = []
with open(f"{work}/queries.txt", "w") as out:
    for name, q, ok in checks:
        result = query(q)
        shown = ", ".join("{" + ",".join(f"{k}={v}" for k, v in sorted(s["metric"].items())) + "} " + s["value"][1]
                          for s in result) or "(no series)"
        line = f"{'ok  ' if ok(result) else 'FAIL'} {name}: {q}\n      {shown}"
        print(line); out.write(line + "\n")
        if not ok(result):
            failed.append(name)
if failed:
    sys.exit("prometheus check failed: " + ", ".join(failed))
print("prometheus check passed")
PY
