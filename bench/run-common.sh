#!/usr/bin/env bash
# Shared by run-quick.sh and run-full.sh (MODE, JMH_OPTS, GRPC_JMH_OPTS and FOOTPRINT_ROUNDS come from them).
# Sections (BENCH_SECTIONS, comma-separated, default all): ops (ContextOpsBench, DeadlineScaleBench,
# ScopeCostParts, footprint), grpc (GrpcCallOverheadBench with grpc's and with OpenTelemetry's context
# storage), latency (ChainLatency). Writes bench/results/<mode>-<timestamp>.{json,txt}, ...-footprint.txt,
# ...-ratios.md, ...-grpc-<storage>.{json,txt}, ...-grpc-ratios.md and ...-latency.md.
set -euo pipefail
: "${MODE:?}" "${JMH_OPTS:?}" "${GRPC_JMH_OPTS:?}" "${FOOTPRINT_ROUNDS:?}"
SECTIONS=",${BENCH_SECTIONS:-ops,grpc,latency},"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="bench/results/${MODE}-${STAMP}"
mkdir -p bench/results

echo "== building (sdk, interceptors + bench)"
mvn -B -q -pl sdk,bench -am package -DskipTests
JAR=bench/target/reqctx-bench.jar
OTEL_STORAGE_JAR=bench/target/reqctx-bench-otelstorage.jar
# The annotation processor must have run (JDK 23+ silently skips it unless declared): fail loudly.
"$JAVA" -jar "$JAR" -l | grep -q 'ContextOpsBench' || { echo "no JMH benchmark was generated" >&2; exit 1; }

header() { # header <file> <command...>
  {
    echo "# $MODE run $STAMP"
    echo "# java: $("$JAVA" -version 2>&1 | head -2 | tr '\n' ' ')"
    echo "# cores: $(nproc), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# git: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"
    echo "# command: ${*:2}"
  } | tee "$1"
}

if [[ $SECTIONS == *,ops,* ]]; then
  header "$OUT.txt" "$JAVA -jar $JAR $JMH_OPTS -prof gc -rf json -rff $OUT.json $* (excluding GrpcCallOverheadBench)"
  echo "== JMH"
  # shellcheck disable=SC2086 # JMH_OPTS is a word list on purpose
  "$JAVA" -jar "$JAR" $JMH_OPTS -prof gc -rf json -rff "$OUT.json" -e GrpcCallOverheadBench "$@" 2>&1 | tee -a "$OUT.txt"

  echo "== footprint"
  FOOTPRINT_CMD=("$JAVA" -XX:+UseParallelGC -Xms2g -Xmx2g -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true
    -cp "$JAR" io.reqctx.bench.ScopeFootprint 100000 "$FOOTPRINT_ROUNDS" 10000)
  echo "# command: ${FOOTPRINT_CMD[*]}" | tee "$OUT-footprint.txt"
  "${FOOTPRINT_CMD[@]}" 2>&1 | grep -v '^SLF4J' | tee -a "$OUT-footprint.txt"

  echo "== ratios"
  python3 bench/ratios.py "$OUT.json" | tee "$OUT-ratios.md"
fi

if [[ $SECTIONS == *,grpc,* ]]; then
  # Each variant runs in its own forks; the storage is chosen by the jar (see GrpcCallOverheadBench).
  for storage in grpc otel; do
    jar=$JAR; [ "$storage" = otel ] && jar=$OTEL_STORAGE_JAR
    res="$OUT-grpc-${storage}storage"
    header "$res.txt" "$JAVA -jar $jar GrpcCallOverheadBench $GRPC_JMH_OPTS -prof gc -rf json -rff $res.json"
    echo "== JMH GrpcCallOverheadBench, $storage context storage"
    # shellcheck disable=SC2086
    "$JAVA" -jar "$jar" GrpcCallOverheadBench $GRPC_JMH_OPTS -prof gc -rf json -rff "$res.json" 2>&1 | tee -a "$res.txt"
  done
  {
    echo "### grpc's own context storage (reqctx-bench.jar)"; echo
    python3 bench/ratios.py "$OUT-grpc-grpcstorage.json"
    echo "### OpenTelemetry-backed grpc context storage (reqctx-bench-otelstorage.jar)"; echo
    python3 bench/ratios.py "$OUT-grpc-otelstorage.json"
  } | tee "$OUT-grpc-ratios.md"
fi

if [[ $SECTIONS == *,latency,* ]]; then
  echo "== latency (ChainLatency $MODE)"
  LATENCY_CMD=("$JAVA" -cp "$JAR" io.reqctx.bench.grpc.ChainLatency "$MODE")
  header "$OUT-latency.md" "${LATENCY_CMD[*]}"
  "${LATENCY_CMD[@]}" 2>&1 | grep -v '^SLF4J' | tee -a "$OUT-latency.md"
fi
echo "results: bench/results/${MODE}-${STAMP}*"
