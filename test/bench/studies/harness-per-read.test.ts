/**
 * bench/studies/harness-per-read.ts, which bench/NOTES.md quotes, still runs
 * the engine's real data handler and prints one line per checkout; it fails
 * loudly if the handler stopped verifying what it was fed.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { runScript } from "../../helpers/spawn-echod.ts";
import { ROOT } from "../helpers.ts";

test("harness-per-read.ts: CPU per read of this checkout's engine, every read verified", async () => {
  const run = await runScript(
    resolve(ROOT, "bench/studies/harness-per-read.ts"),
    ["--tree", ROOT, "--reads", "20000", "--rounds", "2"],
    {},
    60_000,
  );
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(run.stdout.trim()).toMatch(
    /^\/.+: \d+, \d+ ns of CPU per read \(16 x 64 B, 20000 reads per round\)$/,
  );
}, 60_000);
