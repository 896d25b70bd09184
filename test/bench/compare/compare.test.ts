/**
 * The pieces of `npm run bench:compare`: each baseline server is a correct
 * echo server under the harness (large pipelined messages force partial
 * writes), /proc readings are sane, the table's ratios are to echod on the
 * same shape, and the chart is one HTML file that needs no network.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { cpuSeconds, memory } from "../../../bench/common/proc.ts";
import { renderChartHtml } from "../../../bench/compare/chart.ts";
import { describeMachine } from "../../../bench/compare/machine.ts";
import {
  type CompareReport,
  markdownTable,
  printCompareTable,
  rows,
  targetRows,
} from "../../../bench/compare/report.ts";
import { baselineSpec, type ServerSpec, startServer } from "../../../bench/compare/servers.ts";
import type { BenchResult } from "../../../bench/harness/aggregate.ts";
import { runScript } from "../../helpers/spawn-echod.ts";
import { jsonLine, ROOT, runBenchJson } from "../helpers.ts";

const BASELINES = resolve(ROOT, "bench/baselines");

async function expectCorrectEcho(spec: ServerSpec): Promise<void> {
  const server = await startServer(spec, null);
  try {
    const run = await runBenchJson(server.port, "-c 4 -s 64KiB -p 8 -d 0.5");
    const r = jsonLine(run);
    expect(r.errorsTotal).toBe(0);
    expect(run.code).toBe(0);
    expect(r.bytes.total).toBeGreaterThan(8 * 65_536);
  } finally {
    await server.stop();
  }
}

describe("baseline servers echo every byte", () => {
  const out = mkdtempSync(resolve(tmpdir(), "echod-baselines-"));
  process.on("exit", () => rmSync(out, { recursive: true, force: true }));

  test("Node.js net", async () => {
    await expectCorrectEcho(
      baselineSpec("node", ["node", resolve(BASELINES, "node-echo.mjs"), "0"]),
    );
  });

  test.if(Bun.which("cc") !== null)(
    "C epoll (partial writes wait in its buffer for EPOLLOUT)",
    async () => {
      const bin = resolve(out, "epoll-echo");
      const source = resolve(BASELINES, "epoll-echo.c");
      const cc = Bun.spawnSync(["cc", "-O2", "-Wall", "-Werror", "-o", bin, source]);
      expect(cc.stderr.toString()).toBe("");
      expect(cc.exitCode).toBe(0);
      await expectCorrectEcho(baselineSpec("c-epoll", [bin, "0"]));
    },
  );

  test.if(Bun.which("go") !== null)(
    "Go, a goroutine per connection",
    async () => {
      const bin = resolve(out, "go-echo");
      const go = Bun.spawnSync(["go", "build", "-o", bin, "main.go"], {
        cwd: resolve(BASELINES, "go-echo"),
        env: { ...process.env, GOFLAGS: "", GOPROXY: "off", GOTOOLCHAIN: "local" },
      });
      expect(go.exitCode).toBe(0);
      await expectCorrectEcho(baselineSpec("go", [bin, "0"]));
    },
    120_000,
  );
});

describe("measurements and report", () => {
  test("/proc readings of this process are plausible", () => {
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += i;
    expect(x).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
    const m = memory(process.pid);
    expect(m?.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(m?.peakRssBytes).toBeGreaterThanOrEqual(m?.rssBytes ?? 0);
    expect(cpuSeconds(2 ** 30)).toBeNull();
  });

  function fakeResult(average: number, bytes: number, p99: number): BenchResult {
    return {
      messages: { average },
      bytes: { total: bytes, average: bytes / 5 },
      latency: { p99 },
      duration: 5,
      errorsTotal: 0,
    } as unknown as BenchResult;
  }

  const report: CompareReport = {
    command: "npm run bench:compare",
    commit: "abc1234",
    date: "2026-01-01T00:00:00.000Z",
    machine: describeMachine(),
    settings: { duration: 5, warmup: 1, rounds: 1, pinned: true },
    loadAverage: { start: 0.5, end: 1.25 },
    skipped: [{ name: "go", reason: "go is not on PATH" }],
    runs: [
      {
        shape: "a",
        server: "echod",
        round: 1,
        result: fakeResult(1000, 2e9, 1.5),
        failure: null,
        serverCpuSeconds: 4,
        serverPeakRssBytes: 50 * 1024 ** 2,
        harnessCpuPercent: 60,
      },
      {
        shape: "a",
        server: "c-epoll",
        round: 1,
        result: fakeResult(1500, 3e9, 0.5),
        failure: null,
        serverCpuSeconds: 3,
        serverPeakRssBytes: 2 * 1024 ** 2,
        harnessCpuPercent: 90,
      },
      {
        shape: "b",
        server: "echod",
        round: 1,
        result: null,
        failure: "echod did not start",
        serverCpuSeconds: null,
        serverPeakRssBytes: null,
        harnessCpuPercent: null,
      },
    ],
  };

  test("ratios are to echod on the same shape; CPU per GB and CPU % from the server's /proc time", () => {
    const [echod, c, failed] = rows(report);
    expect(echod).toMatchObject({ ratio: 1, cpuSecondsPerGB: 2, cpuPercent: 80, peakRssMiB: 50 });
    expect(c).toMatchObject({
      ratio: 1.5,
      cpuSecondsPerGB: 1,
      cpuPercent: 60,
      harnessCpuPercent: 90,
    });
    expect(failed).toMatchObject({ messagesPerSecond: null, ratio: null });
    const text = printCompareTable(report);
    expect(text).toContain("skipped go: go is not on PATH");
    expect(text).toContain("load average (1 min) at start 0.5, at end 1.25");
    expect(text).toContain("echod on b: echod did not start");
  });

  test("the Markdown table carries the command, commit, machine and load with every row", () => {
    const md = markdownTable(report);
    expect(md).toContain("`npm run bench:compare` at abc1234");
    expect(md).toContain("Load average (1 min): 0.5 at the start, 1.25 at the end.");
    expect(md).toContain("| a | c-epoll | 1,500 |");
    expect(md).toContain("| b | echod | - |");
    expect(md).toContain("Skipped go: go is not on PATH.");
  });

  test("echod's ratios to a baseline are paired within a round", () => {
    const [a] = targetRows(report);
    expect(a).toEqual({
      shape: "a",
      baseline: "c-epoll",
      messagesPerSecond: { median: 0.67, min: 0.67, max: 0.67, rounds: 1 },
      p99: { median: 3, min: 3, max: 3, rounds: 1 },
      cpuPerGB: { median: 2, min: 2, max: 2, rounds: 1 },
    });
    // Shape b has no echod result, so no ratio to anything.
    expect(targetRows(report)).toHaveLength(1);
    expect(markdownTable(report)).toContain("| a | c-epoll | 0.67 | 3 | 2 |");
  });

  test("with several rounds the tables show medians, and the ratios' range", () => {
    const run = (server: string, round: number, mps: number, p99: number, cpu: number) => ({
      shape: "s",
      server,
      round,
      result: fakeResult(mps, mps * 64 * 5, p99),
      failure: null,
      serverCpuSeconds: cpu,
      serverPeakRssBytes: round * 1024 ** 2,
      harnessCpuPercent: 90 + round,
    });
    const three: CompareReport = {
      ...report,
      settings: { ...report.settings, rounds: 3 },
      runs: [
        run("echod", 1, 100, 2, 5),
        run("c-epoll", 1, 100, 1, 5),
        run("c-epoll", 2, 200, 1, 5),
        run("echod", 2, 100, 1, 5),
        run("echod", 3, 400, 3, 5),
        run("c-epoll", 3, 100, 1, 5),
      ],
    };
    const [echod, c] = rows(three);
    expect(echod).toMatchObject({
      server: "echod",
      messagesPerSecond: 100,
      p99Ms: 2,
      peakRssMiB: 3,
      harnessCpuPercent: 92,
      ratio: 1,
    });
    expect(c).toMatchObject({ server: "c-epoll", messagesPerSecond: 100, p99Ms: 1, ratio: 1 });
    // Per round echod/C: msg/s 1, 0.5, 4; p99 2, 1, 3. The medians are not the ratio of medians.
    const [t] = targetRows(three);
    expect(t?.messagesPerSecond).toEqual({ median: 1, min: 0.5, max: 4, rounds: 3 });
    expect(t?.p99).toEqual({ median: 2, min: 1, max: 3, rounds: 3 });
    const md = markdownTable(three);
    expect(md).toContain("3 rounds (each server once per round");
    expect(md).toContain("| s | c-epoll | 1 (0.5-4) | 2 (1-3) |");
  });

  test("the chart is a self-contained page: Chart.js inlined, no network", () => {
    const html = renderChartHtml(report);
    expect(html).toContain("new Chart(");
    expect(html.length).toBeGreaterThan(100_000); // the library itself is inside
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('"labels":["a","b"]');
  });
});

describe("bench:compare command line", () => {
  const compare = (args: string[]) =>
    runScript(resolve(ROOT, "bench/compare/compare.ts"), args, {}, 20_000);

  test("--help prints the options and runs nothing", async () => {
    const run = await compare(["--help"]);
    expect(run.code).toBe(0);
    for (const flag of ["--duration", "--warmup", "--rounds", "--servers", "--shapes"])
      expect(run.stdout).toContain(flag);
    expect(run.stderr).toBe("");
  });

  for (const [args, message] of [
    [["--servers", "echod,rust"], /invalid --servers "echod,rust": unknown server "rust"/],
    [["--shapes", "zzz"], /invalid --shapes "zzz": matches none of/],
    [["--duration", "0"], /invalid --duration "0"/],
    [["--rounds", "0"], /invalid --rounds "0": must be a whole number from 1 to 100/],
    [["--rounds", "2.5"], /invalid --rounds "2.5"/],
    [["--durration", "3"], /Unknown argument: durration/],
  ] as const) {
    test(`${args.join(" ")} -> one line, exit 2`, async () => {
      const run = await compare([...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
    });
  }
});
