#!/usr/bin/env bash
# Full benchmark pass: two forks, 5 warm-up and 5 measured iterations of 1 s each, -prof gc, the
# footprint probe with 9 rounds, the ratio tables; the per-call gRPC benchmark with two forks of 8 x 2 s
# warm-up and 8 x 2 s measurement per variant and storage; the latency harness with 5000 cancels, 2000
# deadline calls and 1000 work-after calls per mode. Sections as in run-quick.sh (BENCH_SECTIONS).
# Usage: bench/run-full.sh [extra JMH args for the ops section, e.g. a benchmark regex]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=full JMH_OPTS="-f 2 -wi 5 -i 5 -w 1s -r 1s" GRPC_JMH_OPTS="-f 2 -wi 8 -i 8 -w 2s -r 2s" FOOTPRINT_ROUNDS=9 \
  exec bench/run-common.sh "$@"
