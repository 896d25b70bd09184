#!/usr/bin/env bash
# Worker threads or processes for --workers? Runs 2 bare reusePort echo
# listeners as threads of one process, then as 2 processes, under the same
# echod-bench load, and prints msg/s, CPU s/GB (all threads/processes) and RSS.
#   bash bench/studies/threads-vs-processes.sh [HARNESS ARGS]   (default: -c 50 -s 4KiB -p 4 -d 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=node_modules/.bin/bun
ARGS=${*:-"-c 50 -s 4KiB -p 4 -d 5"}
for mode in threads processes threads processes; do
  $B bench/studies/$mode.ts 2 >/dev/null 2>&1 & pid=$!
  sleep 1.5
  cpu() { local t=0; for p in $pid $(pgrep -P $pid); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
  before=$(cpu)
  $B bench/harness/cli.ts 127.0.0.1:7500 $ARGS -j 2>/dev/null > /tmp/threads-vs-processes.json
  after=$(cpu)
  rss=0; for p in $pid $(pgrep -P $pid); do rss=$((rss + $(awk '/VmRSS/ {print $2}' /proc/$p/status))); done
  pkill -P $pid || true; kill $pid; wait $pid 2>/dev/null || true
  python3 -c "
import json; r=json.load(open('/tmp/threads-vs-processes.json')); cpu=($after-$before)/100; gb=r['bytes']['total']*2/1e9
print('%-9s msg/s=%9.0f cpu=%.2fs cpu/GB=%.2f rss=%dMB' % ('$mode', r['messages']['average'], cpu, cpu/gb, $rss/1024))"
done
