#!/usr/bin/env bash
# Full benchmark pass: two forks, 5 warm-up and 5 measured iterations of
# 1 s each, -prof gc, the footprint probe with 9 rounds, and the ratio tables.
# Usage: bench/run-full.sh [extra JMH args, e.g. a benchmark regex]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=full JMH_OPTS="-f 2 -wi 5 -i 5 -w 1s -r 1s" FOOTPRINT_ROUNDS=9 exec bench/run-common.sh "$@"
