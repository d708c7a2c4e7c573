#!/usr/bin/env bash
# Quick benchmark pass (11-13 minutes on a shared 2-core machine): builds, runs every JMH benchmark with one fork and
# few iterations plus -prof gc, runs the footprint probe, and writes the ratio tables.
# Usage: bench/run-quick.sh [extra JMH args, e.g. a benchmark regex]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=quick JMH_OPTS="-f 1 -wi 2 -i 5 -w 1s -r 1s" FOOTPRINT_ROUNDS=5 exec bench/run-common.sh "$@"
