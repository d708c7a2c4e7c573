#!/usr/bin/env bash
# Shared by run-throughput.sh and profile-chain.sh: starting and stopping the sample chain's tiers,
# loading a chain with h2load, and warming it until its JIT has settled. The caller sets JAVA, JAR
# (the samples jar) and WORK (where the tiers' logs go), and may define tier_jvm_args <chain> <role>
# to print extra JVM arguments for a tier (space-separated, none containing a space).

PIDS=()
declare -A CHAIN_PIDS
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  CHAIN_PIDS=()
}
trap stop_all EXIT

# start <chain> <role> [downstream port]: starts one tier of chain reqctx, otel or static in the
# background and sets PORT to the port it listens on (not a $(...) function: its PID must reach PIDS
# in this shell, for stop_all).
start() {
  local chain=$1 role=$2 down=${3:-} log="$WORK/$1-$2.log" extra=() jvm=()
  [ -n "$down" ] && extra+=(--downstream "127.0.0.1:$down")
  [ "$chain" = static ] && extra+=(--static-timeouts)
  [ "$chain" = otel ] && extra+=(--otel-tracing-only)
  if declare -F tier_jvm_args >/dev/null; then read -r -a jvm <<<"$(tier_jvm_args "$chain" "$role")"; fi
  "$JAVA" -Xmx512m "${jvm[@]}" -jar "$JAR" serve --role "$role" --port 0 "${extra[@]}" >"$log" 2>&1 &
  PIDS+=($!)
  CHAIN_PIDS[$chain]="${CHAIN_PIDS[$chain]:-} $!"
  PORT=""
  for _ in $(seq 1 600); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$PORT" ] && return
    sleep 0.1
  done
  echo "$chain $role did not start; log:" >&2; cat "$log" >&2; exit 1
}

# start_chain <chain>: cache, inventory, order and gateway, each calling the one before; sets GATEWAY_PORT.
start_chain() {
  start "$1" cache
  start "$1" inventory "$PORT"
  start "$1" order "$PORT"
  start "$1" gateway "$PORT"
  GATEWAY_PORT=$PORT
}

# load <gateway port> <seconds> <h2load log file>: h2load's summary, GET /orders/42 over CONNECTIONS connections.
load() {
  h2load -D "$2" -c "$CONNECTIONS" -m 1 -t 1 --log-file="$3" "http://127.0.0.1:$1/orders/42" 2>&1
}
ok_count() { sed -n 's/.*status codes: \([0-9]*\) 2xx.*/\1/p'; }

# cpu_ticks <chain>: user + system clock ticks the chain's four processes used so far.
cpu_ticks() {
  local sum=0 pid
  for pid in ${CHAIN_PIDS[$1]}; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$sum"
}

# warm_up <chain> <gateway port> <max seconds> <report file>: loads the chain in 20 s windows until two
# in a row are within 10 % of each other (at least 120 s: on 2 vCPUs the JIT compiles for minutes and
# the rate climbs from ~100 to ~1 500 req/s), at most <max seconds>; sets SETTLED to yes or no.
warm_up() {
  local previous=0 window ok rate
  SETTLED=no
  for window in $(seq 1 $(($3 / 20))); do
    ok=$(load "$2" 20 /dev/null | ok_count)
    rate=$(( ${ok:-0} / 20 ))
    echo "== warm-up $1 window $window: $rate req/s" | tee -a "$4"
    if [ "$window" -ge 6 ] && [ "$rate" -gt 0 ] && [ $((rate * 10)) -ge $((previous * 9)) ] \
        && [ $((rate * 9)) -le $((previous * 10)) ]; then
      SETTLED=yes
      break
    fi
    previous=$rate
  done
  echo "== warm-up $1 settled: $SETTLED" | tee -a "$4"
}
