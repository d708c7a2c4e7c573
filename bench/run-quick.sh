#!/usr/bin/env bash
# Quick benchmark pass. Sections (BENCH_SECTIONS=ops,grpc,latency, default all): ops = every context JMH
# benchmark with one fork and few iterations plus -prof gc, and the footprint probe (11-13 min on a
# shared 2-core machine); grpc = the per-call gRPC benchmark, one fork, with grpc's and with
# OpenTelemetry's context storage (about 6 min); latency = the three-hop harness (about 3 min).
# Usage: bench/run-quick.sh [extra JMH args for the ops section, e.g. a benchmark regex]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=quick JMH_OPTS="-f 1 -wi 2 -i 5 -w 1s -r 1s" GRPC_JMH_OPTS="-f 1 -wi 6 -i 5 -w 2s -r 2s" FOOTPRINT_ROUNDS=5 \
  exec bench/run-common.sh "$@"
