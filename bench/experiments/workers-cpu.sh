#!/usr/bin/env bash
# Does CPU per GB grow with --workers? Runs echod with 1 and 2 workers (not
# pinned; the harness shares the cores) under the same load and prints the
# daemon's CPU s/GB from echod_cpu_seconds_total via --metrics-url.
#   bash bench/experiments/workers-cpu.sh [HARNESS ARGS]   (default: -c 50 -s 4KiB -p 4 -d 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=node_modules/.bin/bun
ARGS=${*:-"-c 50 -s 4KiB -p 4 -d 5"}
for n in 1 2 1 2; do
  $B src/main.ts 7600 --host 127.0.0.1 --metrics-port 9600 --metrics-host 127.0.0.1 --log-level warn --workers $n >/dev/null 2>&1 & pid=$!
  sleep 1.5
  $B bench/cli.ts 127.0.0.1:7600 $ARGS --metrics-url http://127.0.0.1:9600/metrics -j 2>/dev/null > /tmp/workers-cpu.json
  kill $pid; wait $pid 2>/dev/null || true
  python3 -c "
import json; r=json.load(open('/tmp/workers-cpu.json')); s=r.get('server') or {}; gb=r['bytes']['total']*2/1e9
print('workers=%s msg/s=%9.0f p99=%.2f ms server cpu=%.2fs cpu/GB=%.3f' % ('$n', r['messages']['average'], r['latency']['p99'], s.get('cpuSeconds',0), s.get('cpuSeconds',0)/gb))"
done
