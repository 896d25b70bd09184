#!/usr/bin/env bash
# The worked example of docs/control-api.md: one running echod goes healthy,
# slow, failing and healthy again through its control API while echod-bench
# watches. Each phase is one echod-bench run of DURATION seconds (20
# connections); a second echod-bench (4 connections) runs across all four
# phases on connections opened before the first change, which get each
# change from their next chunk ("scope": "all"). Prints one line per phase
# (curl's /readyz status, messages/s, p50/p99/max ms, errors by class) and the
# watcher's whole-run line.
#   bash bench/studies/resilience.sh       (DURATION=3 PORT=7700 ADMIN=PORT+1)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=node_modules/.bin/bun
DURATION=${DURATION:-3}
PORT=${PORT:-7700}
ADMIN=${ADMIN:-$((PORT + 1))}
# shellcheck source=bench/common/cleanup.sh
. bench/common/cleanup.sh
WATCH_JSON=$(mktemp)
trap 'rm -f "$WATCH_JSON"; cleanup' EXIT

$B src/main.ts "$PORT" --host 127.0.0.1 --metrics-host 127.0.0.1 --metrics-port "$ADMIN" \
  --control --log-level warn >/dev/null 2>/tmp/resilience.err &
SERVER_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$ADMIN/readyz" >/dev/null && break; sleep 0.1; done

api() { # METHOD PATH BODY
  echo "\$ curl -X $1 localhost:ADMIN$2 -d '$3'"
  curl -sf -X "$1" "http://127.0.0.1:$ADMIN$2" -d "$3" | head -c 300
  echo
}

summary() { # LABEL JSON-FILE
  python3 - "$1" "$2" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/readyz")" <<'PY'
import json, sys
label, path, ready = sys.argv[1:]
r = json.load(open(path))
errors = {k: v for k, v in r["errors"].items() if v} or "none"
print(f"{label:<14} readyz={ready} msg/s={r['messages']['average']:>8.0f} "
      f"p50={r['latency']['p50']:.3f}ms p99={r['latency']['p99']:.3f}ms "
      f"max={r['latency']['max']:.1f}ms errors={errors}")
PY
}

phase() { # LABEL
  $B bench/harness/cli.ts "127.0.0.1:$PORT" -c 20 -d "$DURATION" -j 2>/dev/null >"$HARNESS_JSON" || true
  summary "$1" "$HARNESS_JSON"
}

$B bench/harness/cli.ts "127.0.0.1:$PORT" -c 4 -d $((4 * DURATION + 2)) -j 2>/dev/null >"$WATCH_JSON" &
WATCHER=$!
sleep 0.5
phase healthy
api PATCH /faults '{"scope": "all", "faults": {"delay": "100:20"}}'
phase slow
api PUT /faults '{"scope": "all", "faults": {"reset-after": "64KiB"}}'
api POST /control/ready '{"ready": false}'
phase failing
api PUT /faults '{"scope": "all", "faults": {}}'
api POST /control/ready '{"ready": true}'
phase healthy-again
wait "$WATCHER" || true
summary "watcher" "$WATCH_JSON"
