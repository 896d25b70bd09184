#!/usr/bin/env bun
/**
 * What the admin sidecar costs the echo path. Runs the same echod-bench load
 * against echod twice per round, once with the admin server on and /metrics
 * scraped every second, once with --no-metrics, alternating which goes
 * first; echod pinned to one core and the harness to the other when taskset
 * exists. Reports the throughput ratio (median over rounds) and the scrape
 * times: as the client saw them, and as echod reports building them
 * (echod_last_scrape_duration_seconds).
 *
 *   bun bench/studies/metrics-overhead.ts [--rounds 6] [--duration 8] [--json] [-- HARNESS ARGS]
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { JSON_OPTION, scriptArgs, textOption } from "../common/cli.ts";
import { runHarness } from "../common/harness.ts";
import { freePort, waitForPort } from "../common/ports.ts";

const ROOT = resolve(import.meta.dir, "../..");
const MAIN = resolve(ROOT, "src/main.ts");

const values = scriptArgs<{
  rounds: string;
  duration: string;
  json: boolean;
  _: (string | number)[];
}>({
  name: "metrics-overhead",
  usage:
    "bun bench/studies/metrics-overhead.ts [options] [-- HARNESS ARGS]\n\nThroughput with the admin server scraped every second against --no-metrics.",
  options: {
    rounds: textOption("6", "Rounds; which mode goes first alternates"),
    duration: textOption("8", "Seconds of load per run"),
    json: JSON_OPTION,
  },
  positionals: true,
});
const positionals = values._.map(String);
const rounds = Number(values.rounds);
const duration = Number(values.duration);
if (!Number.isInteger(rounds) || rounds < 1)
  fail(`invalid --rounds ${JSON.stringify(values.rounds)}`);
if (!Number.isFinite(duration) || duration <= 0)
  fail(`invalid --duration ${JSON.stringify(values.duration)}`);
const harnessArgs = positionals.length > 0 ? positionals : ["-c", "50", "-s", "4KiB", "-p", "4"];
const pin = existsSync("/usr/bin/taskset") || Bun.which("taskset") !== null;

interface Run {
  mode: "metrics" | "no-metrics";
  messagesPerSecond: number;
  p99: number;
  clientScrapesMs: number[];
  serverScrapesMs: number[];
}

const runs: Run[] = [];
for (let round = 0; round < rounds; round++) {
  const order: Run["mode"][] =
    round % 2 === 0 ? ["metrics", "no-metrics"] : ["no-metrics", "metrics"];
  for (const mode of order) {
    const run = await measure(mode);
    runs.push(run);
    process.stderr.write(
      `round ${round + 1} ${mode.padEnd(10)} ${run.messagesPerSecond.toFixed(0)} msg/s  p99 ${run.p99.toFixed(2)} ms` +
        (mode === "metrics" ? `  scrapes ${run.clientScrapesMs.length}` : "") +
        "\n",
    );
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : (s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number);
};
const withMetrics = runs.filter((r) => r.mode === "metrics");
const without = runs.filter((r) => r.mode === "no-metrics");
const client = withMetrics.flatMap((r) => r.clientScrapesMs);
const server = withMetrics.flatMap((r) => r.serverScrapesMs);
const result = {
  harness: harnessArgs.join(" "),
  duration,
  rounds,
  pinned: pin,
  throughput: {
    metrics: median(withMetrics.map((r) => r.messagesPerSecond)),
    noMetrics: median(without.map((r) => r.messagesPerSecond)),
    ratio:
      median(withMetrics.map((r) => r.messagesPerSecond)) /
      median(without.map((r) => r.messagesPerSecond)),
  },
  scrapes: {
    count: client.length,
    clientMs: { p50: quantile(client, 0.5), p99: quantile(client, 0.99), max: Math.max(...client) },
    serverMs: { p50: quantile(server, 0.5), p99: quantile(server, 0.99), max: Math.max(...server) },
  },
};
process.stderr.write(
  [
    "",
    `load: echod-bench ${result.harness}, ${duration} s x ${rounds} rounds per mode${pin ? ", server on cpu 0, harness on cpu 1" : ""}`,
    `throughput with metrics scraped every second: ${result.throughput.metrics.toFixed(0)} msg/s (median)`,
    `throughput with --no-metrics:                 ${result.throughput.noMetrics.toFixed(0)} msg/s (median)`,
    `ratio: ${(result.throughput.ratio * 100).toFixed(1)}%  (target >= 97%)`,
    `scrape, as built by echod:  p50 ${result.scrapes.serverMs.p50.toFixed(3)} ms  p99 ${result.scrapes.serverMs.p99.toFixed(3)} ms  max ${result.scrapes.serverMs.max.toFixed(3)} ms  (target p99 < 2 ms)`,
    `scrape, as seen by client:  p50 ${result.scrapes.clientMs.p50.toFixed(3)} ms  p99 ${result.scrapes.clientMs.p99.toFixed(3)} ms  max ${result.scrapes.clientMs.max.toFixed(3)} ms  (${client.length} scrapes)`,
    "",
  ].join("\n"),
);
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);

async function measure(mode: Run["mode"]): Promise<Run> {
  const port = freePort();
  const adminPort = freePort();
  const args = [MAIN, String(port), "--host", "127.0.0.1", "--log-level", "warn"];
  args.push(
    ...(mode === "metrics"
      ? ["--metrics-port", String(adminPort), "--metrics-host", "127.0.0.1"]
      : ["--no-metrics"]),
  );
  const echod = Bun.spawn([...(pin ? ["taskset", "-c", "0"] : []), process.execPath, ...args], {
    stdout: "ignore",
    stderr: "inherit",
  });
  await waitForPort(port);
  const clientScrapesMs: number[] = [];
  const serverScrapesMs: number[] = [];
  let scraping = mode === "metrics";
  const scraper = (async () => {
    while (scraping) {
      await Bun.sleep(1000);
      if (!scraping) break;
      const started = performance.now();
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      clientScrapesMs.push(performance.now() - started);
      // This answer carries how long the previous one took to build.
      const built = /^echod_last_scrape_duration_seconds (\S+)$/m.exec(text)?.[1];
      if (built !== undefined && clientScrapesMs.length > 1)
        serverScrapesMs.push(Number(built) * 1000);
    }
  })();
  const pinned = pin ? ["taskset", "-c", "1"] : [];
  const { code, stdout } = await runHarness(port, [...harnessArgs, "-d", String(duration)], pinned);
  scraping = false;
  await scraper;
  echod.kill("SIGTERM");
  await echod.exited;
  if (code !== 0) fail(`echod-bench exited ${code} in ${mode} mode: ${stdout.slice(0, 500)}`);
  const report = JSON.parse(stdout) as { messages: { average: number }; latency: { p99: number } };
  return {
    mode,
    messagesPerSecond: report.messages.average,
    p99: report.latency.p99,
    clientScrapesMs,
    serverScrapesMs,
  };
}

function fail(message: string): never {
  process.stderr.write(`metrics-overhead: ${message}\n`);
  process.exit(2);
}
