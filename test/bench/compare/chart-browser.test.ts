/**
 * The compare chart (bench/compare/chart.ts) in a real headless Chromium:
 * a report of two real echod-bench runs (echod and the Node.js baseline)
 * rendered and opened, with no console error and both bar charts drawn.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderChartHtml } from "../../../bench/compare/chart.ts";
import type { CompareReport } from "../../../bench/compare/report.ts";
import { measurementOf } from "../../../bench/compare/run-one.ts";
import { resolveConfig } from "../../../src/config.ts";
import { startEchoServer } from "../../../src/echo/server.ts";
import { openInChromium } from "../../helpers/chromium.ts";
import { jsonLine, runBench, startNodeBaseline } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "echod-compare-chart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the compare chart of real runs opens without errors, both charts drawn", async () => {
  const echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
  const node = await startNodeBaseline();
  try {
    const run = async (server: string, port: number) => ({
      part: "capacity" as const,
      shape: "ping-pong",
      server,
      round: 1,
      result: measurementOf(
        jsonLine(await runBench([`127.0.0.1:${port}`, "-c", "4", "-d", "1", "-j"])),
      ),
      failure: null,
      serverCpuSeconds: null,
      serverPeakRssBytes: null,
      harnessCpuPercent: null,
    });
    const report: CompareReport = {
      command: "echod-bench, twice",
      commit: null,
      date: new Date().toISOString(),
      machine: {
        cpu: "test",
        cores: 2,
        memoryGiB: 1,
        kernel: "linux",
        bun: Bun.version,
        node: null,
        go: null,
        cc: null,
        taskset: false,
      },
      settings: {
        duration: 1,
        warmup: 0,
        settle: 0,
        rounds: 1,
        pinned: false,
        parts: ["capacity"],
      },
      loadAverage: { start: 0, end: 0 },
      skipped: [],
      runs: [await run("echod", echod.port), await run("node", node.port)],
      fixedRates: {},
      startup: [],
    };
    const file = join(dir, "compare.html");
    writeFileSync(file, renderChartHtml(report));
    const page = await openInChromium(`file://${file}`);
    expect(page.errors).toEqual([]);
    expect(page.canvases.map((c) => c.id)).toEqual(["throughput", "p99"]);
    for (const c of page.canvases) expect(c.colours).toBeGreaterThan(2);
  } finally {
    node.stop();
    await echod.stop(1);
  }
}, 60_000);
