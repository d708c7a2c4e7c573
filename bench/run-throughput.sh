#!/usr/bin/env bash
# End-to-end throughput of the sample chain (gateway -> order -> inventory -> cache, four processes on
# 127.0.0.1) with reqctx, with --otel-tracing-only (no reqctx; OpenTelemetry tracing on every hop, the
# same SDK setup) and with --static-timeouts (no reqctx, no tracing), loaded by h2load from a separate
# process. The three chains run side by side; load rounds alternate between them (reqctx, otel,
# static, reqctx, ...) after a warm-up of each, and every process is stopped at the end.
#
# Warm-up lasts until the chain's JIT has settled: on 2 vCPUs the four JVMs of a chain compile for
# minutes under load (a profile after 80 s of load still spent half of every tier's CPU in C2), and a
# chain measured before that is measured warming up, at a tenth of its steady rate. Each chain is
# loaded in 20 s windows until two windows in a row differ by less than 10 % (at least 120 s, at most
# WARMUP_MAX seconds; a chain that never settles is reported as such). Every round also records the
# CPU time the chain's four processes used per request (from /proc/<pid>/stat), which does not
# depend on how the machine shared its cores during the round.
# Usage: bench/run-throughput.sh [quick|full]   (quick: 3 rounds x 20 s per chain, warm-up <= 300 s; full: 5 x 30 s, <= 420 s)
# Env: CONNECTIONS (default 8), JAVA_HOME. Writes bench/results/throughput-<mode>-<UTC timestamp>.{txt,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-quick}"
case "$MODE" in
  quick) ROUNDS=3 SECONDS_PER_ROUND=20 WARMUP_MAX=300 ;;
  full) ROUNDS=5 SECONDS_PER_ROUND=30 WARMUP_MAX=420 ;;
  *) echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac
CONNECTIONS="${CONNECTIONS:-8}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="bench/results/throughput-${MODE}-${STAMP}"
WORK="$(mktemp -d)"  # the tiers' logs and h2load's per-request logs
mkdir -p bench/results

if ! command -v h2load >/dev/null; then
  echo "== installing h2load (nghttp2-client)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && $SUDO apt-get install -y -q nghttp2-client
fi

echo "== building the samples jar"
mvn -B -q -pl samples -am package -DskipTests
JAR=samples/target/reqctx-samples.jar

. bench/chain-common.sh
declare -A GATEWAY
for chain in reqctx otel static; do
  start_chain "$chain"
  GATEWAY[$chain]=$GATEWAY_PORT
  echo "$chain chain: gateway 127.0.0.1:${GATEWAY[$chain]}"
done

{
  echo "# throughput $MODE run $STAMP"
  echo "# java: $("$JAVA" -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "# h2load: $(h2load --version | head -1)"
  echo "# cores: $(nproc), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# git: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"
  echo "# command per round: h2load -D $SECONDS_PER_ROUND -c $CONNECTIONS -m 1 -t 1 --log-file=<round log> http://127.0.0.1:<gateway>/orders/42"
  echo "# rounds: $ROUNDS per chain, alternating, after each chain's warm-up (20 s windows until two in a row are within 10 %, 120-${WARMUP_MAX} s)"
} | tee "$OUT.txt"

declare -A SETTLED_BY_CHAIN
for chain in reqctx otel static; do
  warm_up "$chain" "${GATEWAY[$chain]}" "$WARMUP_MAX" "$OUT.txt"
  SETTLED_BY_CHAIN[$chain]=$SETTLED
done
for round in $(seq 1 "$ROUNDS"); do
  for chain in reqctx otel static; do
    echo "== round $round $chain (load before: $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$OUT.txt"
    before=$(cpu_ticks "$chain")
    load "${GATEWAY[$chain]}" "$SECONDS_PER_ROUND" "$WORK/$chain-$round.tsv" | grep -E '^(finished|requests|status codes|time for request)' \
      | tee -a "$OUT.txt"
    echo $(( $(cpu_ticks "$chain") - before )) >"$WORK/$chain-$round.cpu"
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT.txt"

python3 - "$WORK" "$ROUNDS" "$SECONDS_PER_ROUND" "$(getconf CLK_TCK)" "${SETTLED_BY_CHAIN[reqctx]} ${SETTLED_BY_CHAIN[otel]} ${SETTLED_BY_CHAIN[static]}" <<'PY' | tee "$OUT.md"
# Per round: req/s = 2xx responses / round length; CPU per request = the chain's CPU ticks in the round
# / 2xx responses; latency percentiles from h2load's per-request log (start time, status, elapsed
# microseconds). Mean over rounds with a 95% t-interval; a ratio's error is propagated as
# r*sqrt((ea/a)^2 + (eb/b)^2).
import math, statistics, sys
work, rounds, secs, tick = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
settled = dict(zip(("reqctx", "otel", "static"), sys.argv[5].split()))
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}
def pct(s, p):
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]
def mean_ci(xs):
    m = statistics.mean(xs)
    return m, (T95.get(len(xs) - 1, 2.0) * statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0)
res = {}
for chain in ("reqctx", "otel", "static"):
    rps, cpu, lat, bad = [], [], {50: [], 90: [], 99: []}, 0
    for r in range(1, rounds + 1):
        rows = [l.split("\t") for l in open(f"{work}/{chain}-{r}.tsv") if l.strip()]
        ok = [int(x[2]) for x in rows if x[1].startswith("2")]
        bad += len(rows) - len(ok)
        rps.append(len(ok) / secs)
        cpu.append(int(open(f"{work}/{chain}-{r}.cpu").read()) * 1e6 / tick / max(1, len(ok)))
        ok.sort()
        for p in lat:
            lat[p].append(pct(ok, p) / 1000)
    res[chain] = (mean_ci(rps), mean_ci(cpu), rps, {p: statistics.median(v) for p, v in lat.items()}, bad)
print(f"| chain | warm-up settled | req/s (mean of {rounds} rounds, ± 95% CI) | rounds | CPU µs per request (4 processes) "
      "| p50 ms | p90 ms | p99 ms | non-2xx |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|")
for chain, ((m, e), (c, ce), rps, lat, bad) in res.items():
    print(f"| {chain} | {settled[chain]} | {m:,.0f} ± {e:,.0f} | {', '.join(f'{x:,.0f}' for x in rps)} | {c:,.0f} ± {ce:,.0f} | "
          f"{lat[50]:.2f} | {lat[90]:.2f} | {lat[99]:.2f} | {bad} |")
print()
def ratio(a, ea, b, eb):
    r = a / b
    return r, r * math.sqrt((ea / a) ** 2 + (eb / b) ** 2)
for base in ("otel", "static"):
    (a, ea), (ca, cea) = res["reqctx"][:2]
    (b, eb), (cb, ceb) = res[base][:2]
    r, re_ = ratio(a, ea, b, eb)
    c, ce = ratio(cb, ceb, ca, cea)
    print(f"reqctx / {base} throughput: **{r:.3f} ± {re_:.3f}**; {base} CPU per request / reqctx's: **{c:.3f} ± {ce:.3f}**")
print("\n(latency columns: median over rounds of each round's percentile)")
PY
echo "results: $OUT.txt $OUT.md"
