/**
 * bench/studies/import-cost.ts, which bench/NOTES.md quotes for the start-up
 * budget: one line per module with its milliseconds, and a usage error
 * without any.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { runCommand } from "../../helpers/spawn-echod.ts";
import { ROOT } from "../helpers.ts";

const SCRIPT = resolve(ROOT, "bench/studies/import-cost.ts");

test("one line per module, in order, each with its milliseconds", async () => {
  const run = await runCommand([process.execPath, SCRIPT, "yaml", "prom-client"], {}, 30_000);
  expect(run.code).toBe(0);
  const lines = run.stdout.trim().split("\n");
  expect(lines.map((l) => l.split(":")[0])).toEqual(["yaml", "prom-client"]);
  for (const line of lines) expect(line).toMatch(/^[\w-]+: \d+\.\d ms$/);
});

test("no module named: a usage line and exit 2", async () => {
  const run = await runCommand([process.execPath, SCRIPT], {}, 30_000);
  expect(run.code).toBe(2);
  expect(run.stderr.trim()).toBe("usage: bun bench/studies/import-cost.ts MODULE...");
});
