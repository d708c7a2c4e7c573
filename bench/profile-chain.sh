#!/usr/bin/env bash
# Where the sample chain's CPU goes: runs the reqctx chain, then the chain with OpenTelemetry tracing
# only (--otel-tracing-only), each under async-profiler (CPU time, 1 ms interval), warms it until its
# JIT settles (as bench/run-throughput.sh does), loads it for 130 s with h2load and attributes the
# samples of one 60 s slice of that load to the library that owns the running code (JDK frames count
# for their caller; JIT compiler threads and GC threads apart). Multiplied by the CPU time per request
# the chain's processes used during the load, the result is CPU microseconds per request per tier and
# owner, for both chains side by side (bench/profile_owners.py).
# async-profiler comes from Maven Central (tools.profiler:async-profiler, Linux x64 and arm64 inside).
# Usage: bench/profile-chain.sh     Env: CONNECTIONS (default 8), JAVA_HOME.
# Writes bench/results/profile-<UTC timestamp>.md; the collapsed stacks stay in bench/target/profile-<stamp>/.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS="${CONNECTIONS:-8}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
WORK="bench/target/profile-$STAMP"
ASYNC_PROFILER_VERSION=4.1
mkdir -p "$WORK" bench/results

command -v h2load >/dev/null || { echo "h2load missing: bench/run-throughput.sh installs it (nghttp2-client)" >&2; exit 1; }
echo "== fetching async-profiler $ASYNC_PROFILER_VERSION and building the samples jar"
mvn -B -q dependency:copy -Dartifact="tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION" -DoutputDirectory="$WORK"
case "$(uname -m)" in aarch64) ARCH=linux-arm64 ;; *) ARCH=linux-x64 ;; esac
unzip -q -o "$WORK/async-profiler-$ASYNC_PROFILER_VERSION.jar" "$ARCH/libasyncProfiler.so" -d "$WORK"
AGENT="$(pwd)/$WORK/$ARCH/libasyncProfiler.so"
mvn -B -q -pl samples -am package -DskipTests
JAR=samples/target/reqctx-samples.jar

# loop=60s: a new file of collapsed stacks every minute, named after the second it starts
tier_jvm_args() {
  echo "-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints" \
    "-agentpath:$AGENT=start,event=itimer,interval=1ms,loop=60s,collapsed,file=$(pwd)/$WORK/$1-$2-%t.collapsed"
}
. bench/chain-common.sh

{
  echo "# profile run $STAMP; java: $("$JAVA" -version 2>&1 | head -1); cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# git: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'); async-profiler $ASYNC_PROFILER_VERSION, event=itimer, interval=1ms"
} | tee "$WORK/run.txt"
for chain in reqctx otel; do
  start_chain "$chain"
  warm_up "$chain" "$GATEWAY_PORT" 300 "$WORK/run.txt"
  before=$(cpu_ticks "$chain"); from=$(date +%s)
  ok=$(load "$GATEWAY_PORT" 130 /dev/null | ok_count); to=$(date +%s)
  used=$(( $(cpu_ticks "$chain") - before ))
  echo "$chain $from $to ${ok:-0} $used $(getconf CLK_TCK)" >>"$WORK/loads.txt"
  echo "== $chain: ${ok:-0} requests in 130 s, $(( used * 1000000 / $(getconf CLK_TCK) / ${ok:-1} )) us CPU per request; load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$WORK/run.txt"
  stop_all
done
{ cat "$WORK/run.txt"; echo; python3 bench/profile_owners.py "$WORK"; } | tee "bench/results/profile-$STAMP.md"
