#!/usr/bin/env bash
# echod-bench's own ceiling: the C epoll server on core 0, then, taking turns
# on core 1, the reference load generator (bench/baselines/epoll-load.c) and
# echod-bench from each checkout in TREES, one worker each, on 200 x 64 B
# pipelined 16 and 50 x 64 B ping-pong; and, as "bare", the floor of any
# Bun.connect client (bench/studies/bare-client.ts: no verification, no
# latency). Per round and shape it prints each
# one's msg/s and messages per CPU second of the load thread (the
# generator's from its resource usage, echod-bench's from its `workerCpu`),
# as ratios to the generator's; then the medians over the rounds. On a
# shared machine the CPU-second ratio moves less than the rate ratio, since
# a load thread that loses its core to someone else loses rate, not work
# per message.
#
#   bash bench/studies/harness-ceiling.sh [ROUNDS]        (default 5)
#
# Environment:
#   TREES="DIR ..."   echod-bench checkouts to compare (default: this one);
#                     e.g. `git worktree add /tmp/before COMMIT && ln -s $PWD/node_modules /tmp/before/`
#   LOAD_SRC=FILE     the generator's source (default bench/baselines/epoll-load.c)
#   DURATION=4        seconds of each measured run
#   PORT=7710
set -euo pipefail
cd "$(dirname "$0")/../.."
B=$PWD/node_modules/.bin/bun
ROUNDS=${1:-5}
DURATION=${DURATION:-4}
PORT=${PORT:-7710}
LOAD_SRC=${LOAD_SRC:-bench/baselines/epoll-load.c}
read -r -a TREES <<<"${TREES:-$PWD}"
BIN=$(mktemp -d)
# shellcheck source=bench/common/cleanup.sh
. bench/common/cleanup.sh
trap 'rm -rf "$BIN"; cleanup' EXIT
[ -f "$LOAD_SRC" ] || {
  echo "no reference generator at $LOAD_SRC (set LOAD_SRC)" >&2
  exit 2
}
cc -O2 -o "$BIN/epoll-echo" bench/baselines/epoll-echo.c
cc -O2 -o "$BIN/epoll-load" "$LOAD_SRC" -lm
taskset -c 0 "$BIN/epoll-echo" "$PORT" 127.0.0.1 >/dev/null &
SERVER_PID=$!
sleep 0.3

OUT="$BIN/rows"
for r in $(seq "$ROUNDS"); do
  for shape in "200 64 16" "50 64 1"; do
    read -r c s p <<<"$shape"
    # The generator with no warmup, so its CPU (children's times after it exits) covers its measured run.
    ref=$( (taskset -c 1 "$BIN/epoll-load" 127.0.0.1 "$PORT" "$c" "$s" "$p" "$DURATION" 0 && times) | tr '\n' ' ')
    # A different contender goes first in each round, so none always runs on a cache warmed (or a core cooled) by another.
    all=(bare "${TREES[@]}")
    k=$(((r - 1) % ${#all[@]}))
    for t in "${all[@]:k}" "${all[@]:0:k}"; do
      if [ "$t" = bare ]; then
        taskset -c 1 "$B" bench/studies/bare-client.ts "$PORT" "$c" "$s" "$p" "$DURATION" >"$HARNESS_JSON"
      else
        (cd "$t" && taskset -c 1 "$B" bench/harness/cli.ts "127.0.0.1:$PORT" -c "$c" -s "$s" -p "$p" \
          -d "$DURATION" --warmup 1 -j 2>/dev/null) >"$HARNESS_JSON"
      fi
      python3 - "$r" "$c x $s B p$p" "$t" "$ref" "$HARNESS_JSON" >>"$OUT" <<'PY'
import json, re, sys
rnd, shape, tree, ref, path = sys.argv[1:]
g = json.loads(ref[: ref.rindex("}") + 1])
# `times` prints the shell's then its children's user and system time: the generator is the child.
m = re.findall(r"(\d+)m([\d.]+)s", ref[ref.rindex("}") + 1 :])
cpu = sum(int(a) * 60 + float(b) for a, b in m[2:4])
b = json.load(open(path))
g_rate, g_per_cpu = g["messagesPerSecond"], g["messages"] / cpu
if tree == "bare":  # bench/studies/bare-client.ts
    b_rate, b_per_cpu, b_cpu, b_errors = b["messagesPerSecond"], b["perCpuSecond"], b["cpu"], b["errors"]
else:
    b_rate, b_cpu, b_errors = b["messages"]["average"], b["workerCpu"][0], b["errorsTotal"]
    b_per_cpu = b_rate / b_cpu
print(json.dumps({"round": int(rnd), "shape": shape, "tree": tree, "ref": round(g_rate), "bench": round(b_rate),
  "rate": round(b_rate / g_rate, 3), "perCpu": round(b_per_cpu / g_per_cpu, 3),
  "benchCpu": b_cpu, "errors": b_errors + g["errors"] + g["mismatches"]}))
PY
      tail -1 "$OUT"
    done
  done
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for key in sorted({(r["shape"], r["tree"]) for r in rows}):
    rs = [r for r in rows if (r["shape"], r["tree"]) == key]
    med = lambda k: statistics.median(r[k] for r in rs)
    print(f"{key[0]:>16} {key[1]}: rate x{med('rate'):.3f} [{min(r['rate'] for r in rs)}-{max(r['rate'] for r in rs)}], "
          f"per CPU second x{med('perCpu'):.3f} [{min(r['perCpu'] for r in rs)}-{max(r['perCpu'] for r in rs)}], "
          f"{len(rs)} rounds, errors {sum(r['errors'] for r in rs)}")
PY
