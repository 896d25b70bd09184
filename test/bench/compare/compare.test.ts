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
  type CompareRun,
  capacities,
  harnessRows,
  type Measurement,
  markdownTable,
  PARTS,
  printCompareTable,
  rows,
  targetRows,
} from "../../../bench/compare/report.ts";
import { baselineSpec, type ServerSpec, startServer } from "../../../bench/compare/servers.ts";
import { judgeStartup } from "../../../bench/compare/startup.ts";
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

  test("bare Bun.listen (a short write keeps its tail for drain)", async () => {
    await expectCorrectEcho(
      baselineSpec("bun", [process.execPath, resolve(BASELINES, "bun-echo.ts"), "0"]),
    );
  });

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

  function measured(
    messagesPerSecond: number,
    p99Ms: number,
    tool: Measurement["tool"] = "epoll-load",
    harnessBound: boolean | null = null,
  ): Measurement {
    return {
      tool,
      messages: messagesPerSecond * 5,
      messagesPerSecond,
      bytesPerSecond: messagesPerSecond * 64,
      duration: 5,
      p99Ms,
      errors: 0,
      rate: null,
      harnessBound,
    };
  }

  const run = (
    part: CompareRun["part"],
    shape: string,
    server: string,
    round: number,
    result: Measurement | null,
    serverCpuSeconds: number | null,
  ): CompareRun => ({
    part,
    shape,
    server,
    round,
    result,
    failure: result ? null : `${server} did not start`,
    serverCpuSeconds,
    serverPeakRssBytes: result ? 50 * 1024 ** 2 : null,
    harnessCpuPercent: result ? 60 : null,
  });

  const report: CompareReport = {
    command: "npm run bench:compare",
    commit: "abc1234",
    date: "2026-01-01T00:00:00.000Z",
    machine: describeMachine(),
    settings: { duration: 5, warmup: 1, settle: 3, rounds: 1, pinned: true, parts: [...PARTS] },
    loadAverage: { start: 0.5, end: 1.25 },
    skipped: [{ name: "go", reason: "go is not on PATH" }],
    runs: [
      run("capacity", "a", "echod", 1, measured(1000, 1.5), 4),
      run("capacity", "a", "c-epoll", 1, measured(1500, 0.5), 3),
      run("capacity", "b", "echod", 1, null, null),
      run("fixed-rate", "a", "echod", 1, measured(500, 0.3), 1.5),
      run("fixed-rate", "a", "c-epoll", 1, measured(500, 0.2), 1),
      run("harness", "a", "epoll-load", 1, measured(2000, 0.4), 5),
      run("harness", "a", "echod-bench", 1, measured(1000, 0.8, "echod-bench", true), null),
    ],
    fixedRates: { a: 500 },
    startup: [
      {
        firstEchoMs: 90,
        readyMs: 95,
        seconds: [1, 2, 3, 4, 5, 6, 7, 8].map((second) => ({
          second,
          messages: second === 1 ? 80_000 : 100_000,
          messagesPerSecond: second === 1 ? 80_000 : 100_000,
          p99: second === 1 ? 1.2 : 1,
          max: 2,
        })),
        firstP99Ratio: 1.2,
        firstRateRatio: 0.8,
        failure: null,
      },
    ],
  };

  test("capacity: ratios are to echod on the same shape; CPU per message and CPU % from the server's /proc time", () => {
    const [echod, c, failed] = rows(report, "capacity");
    // echod: 4 s of CPU for 5,000 messages; C: 3 s for 7,500.
    expect(echod).toMatchObject({
      ratio: 1,
      cpuMicrosPerMessage: 800,
      cpuPercent: 80,
      peakRssMiB: 50,
    });
    expect(c).toMatchObject({
      ratio: 1.5,
      cpuMicrosPerMessage: 400,
      cpuPercent: 60,
      harnessCpuPercent: 60,
    });
    expect(failed).toMatchObject({ shape: "b", messagesPerSecond: null, ratio: null });
    expect(targetRows(report, "capacity")).toEqual([
      {
        part: "capacity",
        shape: "a",
        baseline: "c-epoll",
        messagesPerSecond: { median: 0.67, min: 0.67, max: 0.67, rounds: 1 },
        p99: { median: 3, min: 3, max: 3, rounds: 1 },
        cpuPerMessage: { median: 2, min: 2, max: 2, rounds: 1 },
      },
    ]);
  });

  test("fixed rate: CPU per message and p99 ratios at the same rate; the rate is half the lowest capacity", () => {
    const [t] = targetRows(report, "fixed-rate");
    expect(t?.cpuPerMessage?.median).toBe(1.5);
    expect(t?.p99?.median).toBe(1.5);
    const caps = capacities(report.runs, "a");
    expect([...caps]).toEqual([
      ["echod", 1000],
      ["c-epoll", 1500],
    ]);
  });

  test("harness ceiling: echod-bench's rate over the generator's on the same server, with its harness-bound mark", () => {
    expect(harnessRows(report)).toEqual([
      {
        shape: "a",
        generatorMessagesPerSecond: 2000,
        benchMessagesPerSecond: 1000,
        ratio: { median: 0.5, min: 0.5, max: 0.5, rounds: 1 },
        harnessBound: { marked: 1, of: 1 },
      },
    ]);
  });

  test("the printed tables have the four parts, the load, the skipped baselines and the failures", () => {
    const text = printCompareTable(report);
    for (const title of ["Capacity:", "Fixed rate:", "Harness ceiling:", "Start-up:"])
      expect(text).toContain(title);
    expect(text).toContain("skipped go: go is not on PATH");
    expect(text).toContain("load average (1 min) at start 0.5, at end 1.25");
    expect(text).toContain("capacity: echod on b: echod did not start");
  });

  test("the Markdown tables carry the command, commit, machine and load with every row", () => {
    const md = markdownTable(report);
    expect(md).toContain("`npm run bench:compare` at abc1234");
    expect(md).toContain("Load average (1 min): 0.5 at the start, 1.25 at the end.");
    expect(md).toContain("| a | c-epoll | 1,500 | 0.1 | 0.5 | 400 | 60 | 50 | 60 | 0 | 1.5 |");
    expect(md).toContain("| a | c-epoll | 0.67 | 3 | 2 |");
    expect(md).toContain("| a | 500 | c-epoll | 500 | 0.2 | 400 | 20 | 0 |");
    expect(md).toContain("| a | 2,000 | 1,000 | 0.5 | 1 of 1 |");
    expect(md).toContain("| 1 | 90 | 95 | 80,000 | 1.2 | 100,000 | 1 | 1.2 | 0.8 |");
    expect(md).toContain("| b | echod | - |");
    expect(md).toContain("Skipped go: go is not on PATH.");
  });

  test("with several rounds the tables show medians, and the ratios' range", () => {
    const three: CompareReport = {
      ...report,
      settings: { ...report.settings, rounds: 3 },
      runs: [
        run("capacity", "s", "echod", 1, measured(100, 2), 5),
        run("capacity", "s", "c-epoll", 1, measured(100, 1), 5),
        run("capacity", "s", "c-epoll", 2, measured(200, 1), 5),
        run("capacity", "s", "echod", 2, measured(100, 1), 5),
        run("capacity", "s", "echod", 3, measured(400, 3), 5),
        run("capacity", "s", "c-epoll", 3, measured(100, 1), 5),
      ],
    };
    const [echod, c] = rows(three);
    expect(echod).toMatchObject({ server: "echod", messagesPerSecond: 100, p99Ms: 2, ratio: 1 });
    expect(c).toMatchObject({ server: "c-epoll", messagesPerSecond: 100, p99Ms: 1, ratio: 1 });
    // Per round echod/C: msg/s 1, 0.5, 4; p99 2, 1, 3. The medians are not the ratio of medians.
    const [t] = targetRows(three);
    expect(t?.messagesPerSecond).toEqual({ median: 1, min: 0.5, max: 4, rounds: 3 });
    expect(t?.p99).toEqual({ median: 2, min: 1, max: 3, rounds: 3 });
    const md = markdownTable(three);
    expect(md).toContain("3 rounds (each server once per round");
    expect(md).toContain("| s | c-epoll | 1 (0.5-4) | 2 (1-3) |");
  });

  test("the start-up judgement: the first second against seconds 5-8", () => {
    const second = (n: number, rate: number, p99: number) => ({
      second: n,
      messages: rate,
      messagesPerSecond: rate,
      p99,
      max: p99,
    });
    const slow = [
      second(1, 24_000, 7.3),
      ...[2, 3, 4].map((n) => second(n, 90_000, 1)),
      ...[5, 6, 7, 8].map((n) => second(n, 100_000, n === 8 ? 2 : 1)),
    ];
    expect(judgeStartup(slow)).toEqual({ firstP99Ratio: 7.3, firstRateRatio: 0.24 });
    expect(judgeStartup(slow.slice(0, 4))).toEqual({ firstP99Ratio: null, firstRateRatio: null });
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

describe.if(Bun.which("cc") !== null)("npm run bench:compare, small and fast", () => {
  test("one shape, echod and C: the report has the four parts, every run verified", async () => {
    const run = await runScript(
      resolve(ROOT, "bench/compare/compare.ts"),
      [
        "--servers",
        "echod,c-epoll",
        "--shapes",
        "50x64B",
        "--duration",
        "0.5",
        "--warmup",
        "0",
        "--settle",
        "0.2",
        "--startup-seconds",
        "2",
      ],
      {},
      120_000,
    );
    expect(run.code).toBe(0);
    const file = /^results: (.+\.json)$/m.exec(run.stdout)?.[1];
    if (!file) throw new Error(`no results line in ${run.stdout}`);
    const report = JSON.parse(await Bun.file(file).text()) as CompareReport;
    rmSync(file.replace(/\.json$/, ".html"));
    rmSync(file.replace(/\.json$/, ".md"));
    rmSync(file);
    expect(report.settings).toMatchObject({
      duration: 0.5,
      warmup: 0,
      settle: 0.2,
      rounds: 1,
      parts: [...PARTS],
    });
    const keys = report.runs.map((r) => `${r.part} ${r.server} ${r.result?.tool}`);
    expect(keys).toEqual([
      "capacity echod epoll-load",
      "capacity c-epoll epoll-load",
      "fixed-rate echod epoll-load",
      "fixed-rate c-epoll epoll-load",
      "harness epoll-load epoll-load",
      "harness echod-bench echod-bench",
    ]);
    console.log(
      report.runs.map((r) => `${r.part} ${r.server}: ${r.result?.messages} messages`).join("; "),
    );
    for (const r of report.runs) {
      expect(r.failure).toBeNull();
      expect(r.result?.errors).toBe(0);
      expect(r.result?.messages).toBeGreaterThan(0);
    }
    // The fixed rate is half the lower capacity; no server ran above it (the load is open
    // loop, not flat out), and none far below it (a busy machine can slow a short run).
    const caps = capacities(report.runs, "50x64B ping-pong");
    const rate = report.fixedRates["50x64B ping-pong"] as number;
    expect(rate).toBe(Math.floor(Math.min(...caps.values()) / 2));
    for (const r of report.runs.filter((x) => x.part === "fixed-rate")) {
      expect(r.result?.rate).toBe(rate);
      expect(r.result?.messagesPerSecond).toBeLessThanOrEqual(rate * 1.02);
      expect(r.result?.messagesPerSecond).toBeGreaterThan(rate * 0.5);
      expect(r.serverCpuSeconds).not.toBeNull();
    }
    expect(report.startup).toHaveLength(1);
    expect(report.startup[0]?.seconds).toHaveLength(2);
    expect(report.startup[0]?.firstEchoMs).toBeGreaterThan(0);
    for (const title of ["Capacity:", "Fixed rate:", "Harness ceiling:", "Start-up:"])
      expect(run.stdout).toContain(title);
  }, 150_000);
});

describe("bench:compare command line", () => {
  const compare = (args: string[]) =>
    runScript(resolve(ROOT, "bench/compare/compare.ts"), args, {}, 20_000);

  test("--help prints the options and runs nothing", async () => {
    const run = await compare(["--help"]);
    expect(run.code).toBe(0);
    for (const flag of [
      "--duration",
      "--warmup",
      "--settle",
      "--parts",
      "--rounds",
      "--servers",
      "--shapes",
    ])
      expect(run.stdout).toContain(flag);
    expect(run.stderr).toBe("");
  });

  for (const [args, message] of [
    [["--servers", "echod,rust"], /invalid --servers "echod,rust": unknown server "rust"/],
    [["--shapes", "zzz"], /invalid --shapes "zzz": matches none of/],
    [["--duration", "0"], /invalid --duration "0"/],
    [["--rounds", "0"], /invalid --rounds "0": must be a whole number from 1 to 100/],
    [["--parts", "capacity,speed"], /invalid --parts "capacity,speed": unknown part "speed"/],
    [["--settle", "soon"], /invalid --settle "soon"/],
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
