#!/usr/bin/env bash
# Does CPU per GB grow with --workers? Runs echod with 1 and 2 workers under
# open-loop load (a fixed schedule, so both do the same work) and prints the
# daemon's CPU seconds per GB echoed (utime + stime of the primary and every
# worker, from /proc, over the harness's run) and how many messages each
# wakeup of a worker's event loop served (voluntary context switches of the
# workers' main threads). Three cases, ROUNDS times each (default 3):
#   same total rate:   1 worker at RATE, 2 workers at RATE
#   rate per worker:   1 worker at RATE, 2 workers at 2 x RATE (connections too)
# Nothing is pinned: on a 2-core machine the harness shares the cores.
#   bash bench/studies/workers-cpu.sh            (RATE=20000 SIZE=4KiB CONNS=50 DURATION=5)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=node_modules/.bin/bun
RATE=${RATE:-20000}
SIZE=${SIZE:-4KiB}
CONNS=${CONNS:-50}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-7600}
# shellcheck source=bench/common/cleanup.sh
. bench/common/cleanup.sh

# Sum over PIDS of CPU ticks (utime + stime) and of voluntary context switches.
ticks() { local t=0 p; for p in $1; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
wakeups() { local t=0 p; for p in $1; do t=$((t + $(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$p/status"))); done; echo $t; }

run() { # WORKERS RATE CONNECTIONS CASE
  local n=$1 rate=$2 conns=$3 label=$4 pid pids workers t0 t1 w0 w1
  $B src/main.ts "$PORT" --host 127.0.0.1 --metrics-port 0 --metrics-host 127.0.0.1 --log-level warn --workers "$n" >/dev/null 2>/tmp/workers-cpu.err &
  pid=$!
  SERVER_PID=$pid
  sleep 2
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "echod did not start: $(cat /tmp/workers-cpu.err)" >&2
    exit 1
  fi
  workers=$(pgrep -P "$pid" | tr '\n' ' ' || true)
  [ -n "$workers" ] || workers=$pid # one worker runs in the primary process itself
  pids="$pid $workers"
  [ "$workers" = "$pid" ] && pids=$pid
  t0=$(ticks "$pids") w0=$(wakeups "$workers")
  $B bench/harness/cli.ts "127.0.0.1:$PORT" -c "$conns" -s "$SIZE" -R "$rate" -d "$DURATION" -j 2>/dev/null >"$HARNESS_JSON" || true
  t1=$(ticks "$pids") w1=$(wakeups "$workers")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  SERVER_PID=
  python3 - "$HARNESS_JSON" "$n" "$rate" "$label" "$t0" "$t1" "$w0" "$w1" <<'PY'
import json, sys
path, n, rate, label, t0, t1, w0, w1 = sys.argv[1:]
r = json.load(open(path))
cpu = (int(t1) - int(t0)) / 100
gb = r["bytes"]["total"] / 1e9
msgs = r["messages"]["total"]
wakes = int(w1) - int(w0)
print(f"{label:<17} workers={n} rate={int(rate):>6} msg/s={r['messages']['average']:>7.0f} "
      f"errors={r['errorsTotal']} cpu={cpu:.2f}s cpu/GB={cpu / gb:.3f} "
      f"msgs/wakeup={msgs / max(wakes, 1):.1f}")
PY
}

for _ in $(seq "$ROUNDS"); do
  run 1 "$RATE" "$CONNS" "same total rate"
  run 2 "$RATE" "$CONNS" "same total rate"
  run 2 $((2 * RATE)) $((2 * CONNS)) "rate per worker"
done
