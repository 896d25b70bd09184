/**
 * bench/studies/harness-ceiling.sh, which bench/NOTES.md quotes, still runs:
 * one short round of the reference generator and echod-bench on the C
 * server, one JSON row per shape and a median line per shape. Needs a C
 * compiler, taskset and the generator (bench/baselines/epoll-load.c).
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { freePort } from "../../../bench/common/ports.ts";
import { runCommand } from "../../helpers/spawn-echod.ts";
import { ROOT } from "../helpers.ts";

const ready =
  existsSync(resolve(ROOT, "bench/baselines/epoll-load.c")) &&
  Bun.which("cc") !== null &&
  Bun.which("taskset") !== null;

test.if(ready)(
  "harness-ceiling.sh: one round, a row and a median per shape",
  async () => {
    const run = await runCommand(
      ["bash", resolve(ROOT, "bench/studies/harness-ceiling.sh"), "1"],
      { PORT: String(freePort()), DURATION: "1" },
      90_000,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    const rows = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    // The bare Bun client, then this checkout's echod-bench, on each shape.
    expect(rows.map((r) => `${r.shape} ${r.tree === "bare" ? "bare" : "bench"}`)).toEqual([
      "200 x 64 B p16 bare",
      "200 x 64 B p16 bench",
      "50 x 64 B p1 bare",
      "50 x 64 B p1 bench",
    ]);
    for (const r of rows) {
      expect(r.errors).toBe(0);
      expect(r.rate).toBeGreaterThan(0);
      expect(r.perCpu).toBeGreaterThan(0);
    }
    expect(
      lines.filter((l) => / rate x[\d.]+ .* per CPU second x[\d.]+ .* 1 rounds, errors 0$/.test(l))
        .length,
    ).toBe(4);
  },
  90_000,
);
