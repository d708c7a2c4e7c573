#!/usr/bin/env bash
# Shared by run-quick.sh and run-full.sh (MODE, JMH_OPTS and FOOTPRINT_ROUNDS come from them).
# Writes bench/results/<mode>-<timestamp>.{json,txt}, ...-footprint.txt and ...-ratios.md.
set -euo pipefail
: "${MODE:?}" "${JMH_OPTS:?}" "${FOOTPRINT_ROUNDS:?}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="bench/results/${MODE}-${STAMP}"
mkdir -p bench/results

echo "== building (sdk + bench)"
mvn -B -q -pl sdk,bench -am package -DskipTests
JAR=bench/target/reqctx-bench.jar
# The annotation processor must have run (JDK 23+ silently skips it unless declared): fail loudly.
"$JAVA" -jar "$JAR" -l | grep -q 'ContextOpsBench' || { echo "no JMH benchmark was generated" >&2; exit 1; }

{
  echo "# $MODE run $STAMP"
  echo "# java: $("$JAVA" -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "# cores: $(nproc), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# git: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"
  echo "# command: $JAVA -jar $JAR $JMH_OPTS -prof gc -rf json -rff $OUT.json $*"
} | tee "$OUT.txt"

echo "== JMH"
# shellcheck disable=SC2086 # JMH_OPTS is a word list on purpose
"$JAVA" -jar "$JAR" $JMH_OPTS -prof gc -rf json -rff "$OUT.json" "$@" 2>&1 | tee -a "$OUT.txt"

echo "== footprint"
FOOTPRINT_CMD=("$JAVA" -XX:+UseParallelGC -Xms2g -Xmx2g -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true
  -cp "$JAR" io.reqctx.bench.ScopeFootprint 100000 "$FOOTPRINT_ROUNDS" 10000)
echo "# command: ${FOOTPRINT_CMD[*]}" | tee "$OUT-footprint.txt"
"${FOOTPRINT_CMD[@]}" 2>&1 | grep -v '^SLF4J' | tee -a "$OUT-footprint.txt"

echo "== ratios"
python3 bench/ratios.py "$OUT.json" | tee "$OUT-ratios.md"
echo "results: $OUT.txt $OUT.json $OUT-footprint.txt $OUT-ratios.md"
