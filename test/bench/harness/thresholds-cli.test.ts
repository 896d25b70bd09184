/**
 * `--threshold` end to end: the real CLI against echod and against the Node.js
 * baseline, a threshold that holds (exit 0) and one that breaks (exit 99),
 * the verdict in --json and on stderr, --abort-on-fail stopping a run that
 * can no longer pass, and a malformed expression refused before any load.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolveConfig } from "../../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../../src/echo/server.ts";
import { expectSchema, jsonLine, runBench, startNodeBaseline, startServer } from "../helpers.ts";

let echod: EchoServer;
let baseline: { port: number; stop(): void };

beforeAll(async () => {
  echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
  baseline = await startNodeBaseline();
});

afterAll(async () => {
  baseline.stop();
  await echod.stop(1);
});

const targets = () => [
  ["echod", `127.0.0.1:${echod.port}`],
  ["node baseline", `127.0.0.1:${baseline.port}`],
];

describe.each(["echod", "node baseline"])("against %s", (name) => {
  const target = () => targets().find(([n]) => n === name)?.[1] as string;

  test("thresholds that hold: exit 0, each one printed and in --json with its measured value", async () => {
    const run = await runBench([
      target(),
      "-c",
      "2",
      "-d",
      "1",
      "-j",
      "--threshold",
      "p99<2s",
      "--threshold=rate>=10",
      "--threshold",
      "errors==0",
    ]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    const v = r.thresholds;
    if (v === null) throw new Error("no thresholds in --json");
    expect(v.pass).toBe(true);
    expect(v.abortedBy).toBeNull();
    expect(v.checks.map((c) => [c.expression, c.pass])).toEqual([
      ["p99<2s", true],
      ["rate>=10", true],
      ["errors==0", true],
    ]);
    expect(v.checks[0]?.measured).toBe(r.latency.p99);
    expect(v.checks[1]?.measured).toBe(r.messages.average);
    expect(run.stderr).toContain("thresholds: pass");
    expect(run.stderr).toMatch(/rate>=10\s*│\s*[\d.]+ msg\/s\s*│\s*pass/);
  });

  test("a threshold that breaks: exit 99 although the run was clean", async () => {
    const run = await runBench([target(), "-c", "2", "-d", "1", "-j", "--threshold", "rate>1e9"]);
    // "1e9" is not a plain decimal: refused before any load.
    expect(run.code).toBe(2);
    const broken = await runBench([
      target(),
      "-c",
      "2",
      "-d",
      "1",
      "-j",
      "--threshold",
      "rate>1000000000",
      "--threshold",
      "p99<2s",
    ]);
    expect(broken.code).toBe(99);
    const r = jsonLine(broken);
    expect(r.errorsTotal).toBe(0);
    expect(r.thresholds?.pass).toBe(false);
    expect(r.thresholds?.checks.map((c) => c.pass)).toEqual([false, true]);
    expect(broken.stderr).toContain("thresholds: FAIL");
  });
});

describe("errors, mismatches and --abort-on-fail", () => {
  test("--abort-on-fail stops the run once errors<1 is broken; without it the run goes on", async () => {
    let seen = 0;
    // Resets every connection after 50 KB: errors start within the first second.
    const server = await startServer((socket, chunk) => {
      seen += chunk.length;
      if (seen % 200_000 < 50_000) socket.write(chunk);
      else socket.resetAndDestroy();
    });
    try {
      const args = [`127.0.0.1:${server.port}`, "-c", "2", "-d", "6", "-j"];
      const aborted = await runBench([...args, "--threshold", "errors<1", "--abort-on-fail"]);
      expect(aborted.code).toBe(99);
      const r = jsonLine(aborted);
      expect(r.errorsTotal).toBeGreaterThan(0);
      expect(r.thresholds?.abortedBy).toBe("errors<1");
      // Stopped at the first second's check, well before the 6 s.
      expect(r.duration).toBeLessThan(3);
      expect(aborted.stderr).toContain("run stopped early: errors<1 could no longer pass");
      const full = await runBench([...args.slice(0, 4), "2", "-j", "--threshold", "errors<1"]);
      expect(full.code).toBe(99);
      expect(jsonLine(full).duration).toBeGreaterThanOrEqual(1.99);
      expect(jsonLine(full).thresholds?.abortedBy).toBeNull();
    } finally {
      await server.close();
    }
  });

  test("a threshold on errors replaces the default rule for them: exit 0 with resets allowed", async () => {
    let n = 0;
    const server = await startServer((socket, chunk) => {
      if (++n % 500 === 0) socket.resetAndDestroy();
      else socket.write(chunk);
    });
    try {
      const run = await runBench([
        `127.0.0.1:${server.port}`,
        "-c",
        "2",
        "-d",
        "1",
        "-j",
        "--threshold",
        "errors<1000000",
      ]);
      const r = jsonLine(run);
      expect(r.errors.reset + r.errors.short + r.errors.closed).toBeGreaterThan(0);
      expect(r.mismatches).toBe(0);
      expect(run.code).toBe(0);
    } finally {
      await server.close();
    }
  });

  test("a malformed expression and --abort-on-fail alone are usage errors (exit 2), before any load", async () => {
    const bad = await runBench([`127.0.0.1:${echod.port}`, "--threshold", "p99<<5"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toStartWith('echod-bench: invalid --threshold "p99<<5": ');
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    const alone = await runBench([`127.0.0.1:${echod.port}`, "--abort-on-fail"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--abort-on-fail");
  });
});
