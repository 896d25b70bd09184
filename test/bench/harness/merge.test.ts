/**
 * Runs across many harnesses: three echod-bench processes started together
 * with --start-at, each one --slice of the load, against one echod; then
 * `echod-bench merge`. Totals must add up, and the merged percentiles must
 * equal those of the runs' histograms merged here independently (with
 * hdr-histogram-js directly). Also: standard input, a baseline server,
 * thresholds on the merged result, and runs of different shapes refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import type { BenchResult } from "../../../bench/harness/aggregate.ts";
import { readReports } from "../../../bench/harness/merge.ts";
import { resolveConfig } from "../../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../../src/echo/server.ts";
import { runCommand } from "../../helpers/spawn-echod.ts";
import { BENCH, expectSchema, jsonLine, runBench, startNodeBaseline } from "../helpers.ts";

let echod: EchoServer;
let dir = "";

beforeAll(() => {
  echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
  dir = mkdtempSync(join(tmpdir(), "echod-bench-merge-"));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await echod.stop(1);
});

/** `count` harnesses at once, each its --slice of `flags`, all waiting for the same --start-at. */
async function slicedRuns(port: number, flags: string[], count: number) {
  const startAt = new Date(Math.ceil((Date.now() + 2500) / 1000) * 1000).toISOString();
  const runs = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      runBench([
        `127.0.0.1:${port}`,
        ...flags,
        "--slice",
        `${i}/${count}`,
        "--start-at",
        startAt,
        "-j",
      ]),
    ),
  );
  for (const r of runs) expect(r.code).toBe(0);
  const reports = runs.map(jsonLine);
  const files = reports.map((r, i) => {
    const file = join(dir, `run-${port}-${i}.json`);
    writeFileSync(file, `${JSON.stringify(r)}\n`);
    return file;
  });
  return { startAt, reports, files };
}

function merge(args: string[], stdin?: string) {
  const command = [process.execPath, BENCH, "merge", ...args];
  if (stdin === undefined) return runCommand(command, {}, 20_000);
  return runCommand(
    ["bash", "-c", 'printf "%s" "$IN" | "$@"', "merge", ...command],
    { IN: stdin },
    20_000,
  );
}

/** The percentiles of the runs' latency histograms, merged with hdr-histogram-js alone. */
function independentPercentiles(reports: readonly BenchResult[]) {
  const merged = hdr.build({ bitBucketSize: 32, autoResize: true, useWebAssembly: false });
  for (const r of reports)
    merged.add(hdr.decodeFromCompressedBase64(r.histograms.latency, 32, false));
  const at = (p: number) => Math.round(merged.getValueAtPercentile(p)) / 1000;
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p99_9: at(99.9),
    max: at(100),
    samples: merged.totalCount,
  };
}

describe("three harnesses with --start-at and --slice against one echod, merged", () => {
  test("start together; totals add up; merged percentiles are those of the merged histograms", async () => {
    const accepted = echod.stats.accepted;
    const { startAt, reports, files } = await slicedRuns(
      echod.port,
      ["-c", "7", "-p", "2", "-d", "1"],
      3,
    );
    expect(echod.stats.accepted - accepted).toBe(7);
    expect(reports.map((r) => r.connections)).toEqual([3, 2, 2]);
    expect(reports.map((r) => r.slice)).toEqual(["0/3", "1/3", "2/3"]);
    for (const r of reports) {
      expect(r.startAt).toBe(startAt);
      const late = Date.parse(r.start) - Date.parse(startAt);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(500);
    }

    const run = await merge([...files, "-j"]);
    expect(run.code).toBe(0);
    const m = jsonLine(run);
    expectSchema(m);
    const sum = (f: (r: BenchResult) => number) => reports.reduce((t, r) => t + f(r), 0);
    expect(m.connections).toBe(7);
    expect(m.messages.total).toBe(sum((r) => r.messages.total));
    expect(m.bytes.total).toBe(sum((r) => r.bytes.total));
    expect(m.errorsTotal).toBe(sum((r) => r.errorsTotal));
    expect(m.latency.samples).toBe(m.messages.total);
    expect(m.duration).toBe(Math.max(...reports.map((r) => r.duration)));
    expect(m.startAt).toBe(startAt);
    expect(m.slice).toBeNull();
    const seconds = Math.min(...reports.map((r) => r.perSecond.messages.length));
    expect(m.perSecond.messages).toEqual(
      Array.from({ length: seconds }, (_, i) => sum((r) => r.perSecond.messages[i] as number)),
    );
    const independent = independentPercentiles(reports);
    expect({
      p50: m.latency.p50,
      p90: m.latency.p90,
      p99: m.latency.p99,
      p99_9: m.latency.p99_9,
      max: m.latency.max,
      samples: m.latency.samples,
    }).toEqual(independent);
    expect(run.stderr).toContain("merged 3 runs");

    // The same from standard input, one line per run, with the tables interleaved as kubectl logs has them.
    const text = reports.map((r) => `a table line\n${JSON.stringify(r)}\n`).join("");
    const piped = await merge(["-", "-j"], text);
    expect(piped.code).toBe(0);
    expect(jsonLine(piped).messages.total).toBe(m.messages.total);

    // Thresholds are judged on the merged result.
    const judged = await merge([
      ...files,
      "-j",
      "--threshold",
      `rate>${Math.ceil(m.messages.average)}`,
    ]);
    expect(judged.code).toBe(99);
    expect(jsonLine(judged).thresholds?.checks[0]?.measured).toBe(m.messages.average);
    const passes = await merge([...files, "--threshold", `p99<=${m.latency.p99}ms`]);
    expect(passes.code).toBe(0);
  }, 60_000);

  test("against the Node.js baseline: two slices in open loop add up to the whole rate", async () => {
    const baseline = await startNodeBaseline();
    try {
      const { reports, files } = await slicedRuns(
        baseline.port,
        ["-c", "4", "-R", "1000", "-d", "1"],
        2,
      );
      expect(reports.map((r) => r.rate)).toEqual([500, 500]);
      const m = jsonLine(await merge([...files, "-j"]));
      expect(m.rate).toBe(1000);
      expect(m.connections).toBe(4);
      expect(m.messages.total).toBe(reports.reduce((t, r) => t + r.messages.total, 0));
      expect(m.messages.total).toBeGreaterThan(800);
    } finally {
      baseline.stop();
    }
  }, 40_000);
});

test("slices of a run in stages merge, each stage's rate added", async () => {
  const { reports, files } = await slicedRuns(echod.port, ["-c", "4", "-R", "400:1s,800:1s"], 2);
  expect(reports.map((r) => r.stages)).toEqual([
    [
      { rate: 200, seconds: 1 },
      { rate: 400, seconds: 1 },
    ],
    [
      { rate: 200, seconds: 1 },
      { rate: 400, seconds: 1 },
    ],
  ]);
  const run = await merge([...files, "-j"]);
  expect(run.code).toBe(0);
  const m = jsonLine(run);
  expect(m.stages).toEqual([
    { rate: 400, seconds: 1 },
    { rate: 800, seconds: 1 },
  ]);
  expect(m.rate).toBe(800);
  expect(m.messages.total).toBe(reports.reduce((t, r) => t + r.messages.total, 0));
}, 40_000);

describe("refusals", () => {
  test("runs of different shapes are not merged (exit 2, naming the key and both reports)", async () => {
    const a = jsonLine(await runBench([`127.0.0.1:${echod.port}`, "-c", "1", "-d", "0.3", "-j"]));
    const b = jsonLine(
      await runBench([`127.0.0.1:${echod.port}`, "-c", "1", "-s", "128", "-d", "0.3", "-j"]),
    );
    const fa = join(dir, "a.json");
    const fb = join(dir, "b.json");
    writeFileSync(fa, JSON.stringify(a));
    writeFileSync(fb, JSON.stringify(b));
    const run = await merge([fa, fb]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `invalid merge input "${fb}:1": has size 128 where ${fa}:1 has 64`,
    );
  });

  test("bad input: no reports, a broken line, a bad --start-at or --slice", async () => {
    expect((await merge([join(dir, "none.json")])).code).toBe(2);
    expect(() => readReports("x", '{"broken"\n')).toThrow('invalid merge input "x:1"');
    expect(readReports("x", "no json here\n")).toEqual([]);
    const startAt = await runBench(["127.0.0.1:9", "--start-at", "tomorrow"]);
    expect(startAt.code).toBe(2);
    expect(startAt.stderr).toContain('invalid --start-at "tomorrow"');
    const slice = await runBench(["127.0.0.1:9", "--slice", "3/3"]);
    expect(slice.code).toBe(2);
    expect(slice.stderr).toContain('invalid --slice "3/3"');
  });
});
