/**
 * The experiment scripts that bench/NOTES.md quotes still run and print what
 * the notes say they print: bench/studies/profile.sh (one server under
 * one shape, its CPU per GB over a 6 s window) and workers-cpu.sh (1 and 2
 * workers at fixed rates). Short, slow-rate runs: this checks the scripts,
 * not the numbers.
 */
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { freePort } from "../../../bench/common/ports.ts";
import { runCommand } from "../../helpers/spawn-echod.ts";
import { ROOT } from "../helpers.ts";

function script(name: string, args: string[], env: Record<string, string>) {
  const path = resolve(ROOT, "bench/studies", name);
  return runCommand(["bash", path, ...args], { PORT: String(freePort()), ...env }, 90_000);
}

describe("bench/studies", () => {
  test("profile.sh: echod and the bare Bun echo, each one summary line with its CPU per GB", async () => {
    for (const server of ["echod", "bare"]) {
      const run = await script("profile.sh", ["-c", "4", "-s", "64", "-R", "2000"], {
        SERVER: server,
        DURATION: "9",
      });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const line = run.stdout.trim();
      expect(line).toMatch(
        new RegExp(
          `^${server} \\[-c 4 -s 64 -R 2000\\]: msg/s=\\d+ p99=[\\d.]+ ms errors=0 server CPU=[\\d.]+ s in 6 s, CPU s/GB=[\\d.]+$`,
        ),
      );
      const msgs = Number(/msg\/s=(\d+)/.exec(line)?.[1]);
      expect(msgs).toBeGreaterThan(1900);
      expect(msgs).toBeLessThan(2100);
    }
  }, 60_000);

  test("profile.sh: an unknown server or profiler is refused", async () => {
    const bad = await script("profile.sh", [], { SERVER: "nginx" });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("SERVER must be echod, c-epoll or bare, not nginx");
  });

  test("workers-cpu.sh: three cases, each with CPU per GB and messages per wakeup", async () => {
    const run = await script("workers-cpu.sh", [], {
      ROUNDS: "1",
      DURATION: "2",
      RATE: "2000",
      CONNS: "4",
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    const expected = [
      ["same total rate", 1, 2000],
      ["same total rate", 2, 2000],
      ["rate per worker", 2, 4000],
    ] as const;
    lines.forEach((line, i) => {
      const [label, workers, rate] = expected[i] as (typeof expected)[number];
      expect(line).toMatch(
        new RegExp(
          `^${label} +workers=${workers} rate= *${rate} msg/s= *\\d+ errors=0 cpu=[\\d.]+s cpu/GB=[\\d.]+ msgs/wakeup=[\\d.]+$`,
        ),
      );
    });
  }, 90_000);
});
