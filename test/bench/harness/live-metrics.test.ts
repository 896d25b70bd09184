/**
 * `--metrics-port`: the harness's own Prometheus metrics while it runs,
 * scraped mid-run against echod and against the Node.js baseline (with two
 * worker threads), checked by `promtool check metrics` and against the run's
 * own report; then scraped by a real Prometheus during a run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../../bench/common/ports.ts";
import { parsePrometheus } from "../../../bench/harness/server-metrics.ts";
import { resolveConfig } from "../../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../../src/echo/server.ts";
import { startPrometheus } from "../../helpers/prometheus.ts";
import { jsonLine, runBench, startNodeBaseline } from "../helpers.ts";

let echod: EchoServer;
let baseline: { port: number; stop(): void };
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
  baseline = await startNodeBaseline();
});

afterAll(async () => {
  for (const c of cleanup.reverse()) c();
  baseline.stop();
  await echod.stop(1);
});

function promtool(text: string): { code: number; output: string } {
  const r = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(text) });
  return { code: r.exitCode, output: r.stdout.toString() + r.stderr.toString() };
}

describe.each([
  ["echod", 1],
  ["node baseline", 2],
])("a scrape in the middle of a run against %s (%d worker(s))", (name, workers) => {
  test("passes promtool, and its counts agree with each other and with the report", async () => {
    const port = name === "echod" ? echod.port : baseline.port;
    const metricsPort = freePort();
    const run = runBench(
      [`127.0.0.1:${port}`, "-c", "4", "-w", String(workers), "-d", "3"].concat([
        "--metrics-port",
        String(metricsPort),
        "-j",
      ]),
    );
    await waitForPort(metricsPort, 10_000);
    await Bun.sleep(2200);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`live metrics on http://127.0.0.1:${metricsPort}/metrics`);
    const check = promtool(text);
    expect(check.output).toBe("");
    expect(check.code).toBe(0);

    const m = parsePrometheus(text);
    const echoed = m.get("echod_bench_messages_echoed_total") ?? 0;
    expect(echoed).toBeGreaterThan(0);
    expect(m.get("echod_bench_latency_seconds_count")).toBe(echoed);
    expect(m.get("echod_bench_echoed_bytes_total")).toBe(echoed * 64);
    expect(m.get("echod_bench_messages_sent_total")).toBeGreaterThanOrEqual(echoed);
    expect(m.get("echod_bench_connections_open")).toBe(4);
    expect(m.get("echod_bench_errors_total")).toBe(0);
    for (const k of ["mismatch", "tls", "lost", "other"]) {
      expect(text).toContain(`echod_bench_errors_total{class="${k}"} 0`);
    }
    expect(text).toContain(
      `echod_bench_info{target="127.0.0.1:${port}",mode="closed",transport="tcp"} 1`,
    );
    // The scrape came from whole seconds before the end: the final report holds more.
    expect(jsonLine(result).messages.total).toBeGreaterThan(echoed);
  });
});

test("a real Prometheus scrapes the harness during a run", async () => {
  const metricsPort = freePort();
  const dir = mkdtempSync(join(tmpdir(), "echod-bench-prom-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "scrape_configs:",
      "  - job_name: echod-bench",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${metricsPort}"]`,
      "",
    ].join("\n"),
  );
  const { port: promPort, proc } = startPrometheus(dir);
  cleanup.push(() => proc.kill("SIGKILL"));
  const run = runBench(
    [`127.0.0.1:${echod.port}`, "-c", "2", "-R", "500", "-d", "8", "--metrics-port"].concat([
      String(metricsPort),
      "--threshold",
      "errors==0",
      "--abort-on-fail",
      "-j",
    ]),
    40_000,
  );
  const query = async (expr: string) => {
    try {
      const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`;
      const body = (await (await fetch(url)).json()) as {
        data?: { result?: { value: [number, string] }[] };
      };
      return Number(body.data?.result?.[0]?.value[1] ?? 0);
    } catch {
      return 0;
    }
  };
  const until = performance.now() + 7_000;
  let echoed = 0;
  while (performance.now() < until && echoed < 1000) {
    echoed = await query('echod_bench_messages_echoed_total{job="echod-bench"}');
    await Bun.sleep(250);
  }
  expect(echoed).toBeGreaterThanOrEqual(1000);
  expect(await query('up{job="echod-bench"}')).toBe(1);
  expect(await query("sum(echod_bench_connections_open)")).toBe(2);
  const result = await run;
  expect(result.code).toBe(0);
  expect(jsonLine(result).messages.total).toBeGreaterThanOrEqual(echoed);
}, 60_000);

test("a bad --metrics-port is a usage error", async () => {
  const bad = await runBench(["127.0.0.1:9", "--metrics-port", "70000"]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('invalid --metrics-port "70000"');
});
