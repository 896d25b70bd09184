#!/usr/bin/env bash
# One server under one load shape, for profiling and A/B runs: the server on
# core 0, echod-bench on core 1 (like bench:compare), then a summary line:
# msg/s, p99 and the server's CPU seconds per GB echoed over a 6 s window in
# the middle of the run. Optionally wraps that window in perf or strace. The
# server's stderr goes to bench/results/profile.server.log.
#
#   bash bench/studies/profile.sh [ECHOD-BENCH ARGS]     (default: -c 50 -s 64)
#
# Environment:
#   SERVER=echod|c-epoll|bare   echod (default, metrics on), the C baseline, or
#                               bench/studies/raw-echo.ts (BINARY_TYPE=buffer|uint8array)
#   SERVER_ENV="K=V ..."        extra environment for the server (BUN_JSC_*, MIMALLOC_*)
#   ECHOD_TREE=DIR              run echod from another checkout (git worktree add DIR COMMIT)
#   PROFILE=perf                perf record -g into bench/results/profile.perf.data
#   PROFILE=strace              strace -c -f (syscall counts) into bench/results/profile.strace
#   PROFILE=madvise             strace of madvise calls only, into the same file
#   DURATION=10                 seconds of load (the window is its 2nd to 8th second)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=node_modules/.bin/bun
SERVER=${SERVER:-echod}
DURATION=${DURATION:-10}
PORT=${PORT:-7700}
ARGS=("$@")
[ ${#ARGS[@]} -gt 0 ] || ARGS=(-c 50 -s 64)
OUT=bench/results
mkdir -p "$OUT"
# shellcheck source=bench/common/cleanup.sh
. bench/common/cleanup.sh
if (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "port $PORT is in use (set PORT)" >&2
  exit 1
fi

case $SERVER in
  echod) cmd=($B "${ECHOD_TREE:-.}/src/main.ts" "$PORT" --host 127.0.0.1 --metrics-port 0 --metrics-host 127.0.0.1 --log-level warn) ;;
  c-epoll)
    [ -x bench/baselines/bin/epoll-echo ] || cc -O2 -o bench/baselines/bin/epoll-echo bench/baselines/epoll-echo.c
    cmd=(bench/baselines/bin/epoll-echo "$PORT" 127.0.0.1)
    ;;
  bare) cmd=(env "PORT=$PORT" $B bench/studies/raw-echo.ts) ;;
  *)
    echo "SERVER must be echod, c-epoll or bare, not $SERVER" >&2
    exit 2
    ;;
esac
# shellcheck disable=SC2086 # SERVER_ENV is a list of K=V words
env ${SERVER_ENV:-} taskset -c 0 "${cmd[@]}" >/dev/null 2>"$OUT/profile.server.log" &
SERVER_PID=$!
for _ in $(seq 50); do
  (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

taskset -c 1 $B bench/harness/cli.ts "127.0.0.1:$PORT" -d "$DURATION" "${ARGS[@]}" -j >"$HARNESS_JSON" 2>/dev/null &
BENCH=$!
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
t0=$(ticks)
case ${PROFILE:-} in
  perf) perf record -F 1999 -g -p "$SERVER_PID" -o "$OUT/profile.perf.data" -- sleep 6 >/dev/null 2>&1 ;;
  strace) timeout -s INT 6 strace -qq -c -f -p "$SERVER_PID" -o "$OUT/profile.strace" || true ;;
  madvise) timeout -s INT 6 strace -qq -f -e trace=madvise -p "$SERVER_PID" -o "$OUT/profile.strace" || true ;;
  "") sleep 6 ;;
  *)
    echo "PROFILE must be perf, strace or madvise" >&2
    exit 2
    ;;
esac
t1=$(ticks)
wait "$BENCH" || true
python3 - "$HARNESS_JSON" "$t0" "$t1" "$SERVER" "${SERVER_ENV:-}" "${ARGS[*]}" <<'PY'
import json, sys
path, t0, t1, server, env, args = sys.argv[1:]
r = json.load(open(path))
cpu = (int(t1) - int(t0)) / 100
# Bytes echoed in the 6 s window, from the run's average rate.
gb = r["bytes"]["average"] * 6 / 1e9
label = f"{server} {env}".strip()
print(f"{label} [{args}]: msg/s={r['messages']['average']:.0f} p99={r['latency']['p99']} ms "
      f"errors={r['errorsTotal']} server CPU={cpu:.2f} s in 6 s, CPU s/GB={cpu / gb:.3f}")
PY
case ${PROFILE:-} in
  perf) echo "perf report -i $OUT/profile.perf.data --no-children --sort dso,sym" ;;
  strace | madvise) echo "see $OUT/profile.strace" ;;
esac
