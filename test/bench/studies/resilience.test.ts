/**
 * bench/studies/resilience.sh, the worked example of docs/control-api.md,
 * still runs and prints what the page shows: healthy, slow, failing and
 * healthy again on one echod, and the watcher's line. Short phases: this
 * checks the script and the shape of each phase, not the figures.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { freePort } from "../../../bench/common/ports.ts";
import { runCommand } from "../../helpers/spawn-echod.ts";
import { ROOT } from "../helpers.ts";

test("resilience.sh: four phases on one echod, each as the control API set it", async () => {
  const run = await runCommand(
    ["bash", resolve(ROOT, "bench/studies/resilience.sh")],
    { PORT: String(freePort()), ADMIN: String(freePort()), DURATION: "1" },
    90_000,
  );
  expect(run.code).toBe(0);
  const line = (label: string) =>
    run.stdout.split("\n").find((l) => l.startsWith(`${label} `)) ?? "";
  expect(line("healthy")).toMatch(/readyz=200 .* errors=none$/);
  const slow = /p50=([\d.]+)ms/.exec(line("slow"));
  expect(Number(slow?.[1])).toBeGreaterThanOrEqual(100);
  expect(line("slow")).toMatch(/errors=none$/);
  expect(line("failing")).toMatch(/readyz=503 .*'reset': [1-9]/);
  expect(line("healthy-again")).toMatch(/readyz=200 .* errors=none$/);
  // The watcher's connections, open before the first change, saw the delay and the resets.
  const watcher = line("watcher");
  expect(Number(/max=([\d.]+)ms/.exec(watcher)?.[1])).toBeGreaterThanOrEqual(100);
  expect(watcher).toMatch(/'reset': [1-9]/);
});
