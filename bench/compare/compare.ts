#!/usr/bin/env bun
/**
 * `npm run bench:compare`: runs echod and each baseline echo server in turn
 * on the same load shapes with `echod-bench`, a fresh server process per
 * (shape, server), server and harness pinned to different cores when
 * `taskset` exists. Measures the server's CPU time and peak RSS from /proc,
 * prints one table, and writes bench/results/compare-<time>.json (with the
 * machine's description) and a chart in compare-<time>.html.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import yargs from "yargs";
import { EchodError, usageError } from "../../src/errors.ts";
import { parseSeconds } from "../../src/units.ts";
import { cpuSeconds, memory } from "../common/proc.ts";
import type { BenchResult } from "../harness/aggregate.ts";
import { renderChartHtml } from "./chart.ts";
import { describeMachine } from "./machine.ts";
import { type CompareReport, type CompareRun, markdownTable, printCompareTable } from "./report.ts";
import { prepareServers, ROOT, type RunningServer, type Skipped, startServer } from "./servers.ts";
import { SHAPES, type Shape, shapeArgs } from "./shapes.ts";

/** File descriptors the 5000-connection shape needs in each process, with room to spare. */
const FDS_FOR_5000 = 5200;

interface Settings {
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly servers: readonly string[] | null;
  readonly shapes: string | null;
}

const SERVER_NAMES = ["echod", "node", "go", "c-epoll"];

/** Settings, or the text of --help / --version; bad flags throw a usage error (exit 2). */
function parseArgs(argv: string[]): Settings | string {
  let output = "";
  const a = yargs(argv)
    .scriptName("npm run bench:compare --")
    .usage("$0 [options]\n\nRuns echod and the baseline echo servers on the same load shapes.")
    .option("duration", {
      type: "string",
      default: "5",
      describe: "Seconds of measured load per shape and server",
    })
    .option("warmup", {
      type: "string",
      default: "1",
      describe: "Seconds of unmeasured load first",
    })
    .option("rounds", {
      type: "string",
      default: "1",
      describe:
        "Run every server this many times per shape, taking turns to go first; the tables show medians",
    })
    .option("servers", {
      type: "string",
      describe: `Comma-separated, from ${SERVER_NAMES.join(",")} (default all)`,
    })
    .option("shapes", { type: "string", describe: "Only shapes whose name contains this text" })
    .strict()
    .exitProcess(false)
    .fail((message) => {
      throw new EchodError("E_USAGE", message ?? "bad arguments");
    })
    .parseSync(argv, {}, (_err, _argv, text) => {
      output = text;
    }) as Record<string, unknown>;
  if (output) return output;
  const duration = parseSeconds(String(a.duration));
  if (duration === null || duration <= 0)
    throw usageError("--duration", a.duration, "must be seconds above 0");
  const warmup = parseSeconds(String(a.warmup));
  if (warmup === null) throw usageError("--warmup", a.warmup, "must be 0 or more seconds");
  const rounds = Number(a.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
    throw usageError("--rounds", a.rounds, "must be a whole number from 1 to 100");
  const servers = a.servers === undefined ? null : String(a.servers).split(",");
  const unknown = servers?.find((name) => !SERVER_NAMES.includes(name));
  if (unknown !== undefined) {
    throw usageError("--servers", a.servers, `unknown server ${JSON.stringify(unknown)}`);
  }
  const shapes = a.shapes === undefined ? null : String(a.shapes);
  if (shapes !== null && !SHAPES.some((s) => s.name.includes(shapes))) {
    throw usageError(
      "--shapes",
      shapes,
      `matches none of: ${SHAPES.map((s) => s.name).join(", ")}`,
    );
  }
  return { duration, warmup, rounds, servers, shapes };
}

function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(
      readFileSync("/proc/self/limits", "utf8"),
    );
    return line?.[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(line?.[1] ?? 1024);
  } catch {
    return 1024;
  }
}

async function harness(
  server: RunningServer,
  args: string[],
  cpu: number | null,
): Promise<{ result: BenchResult | null; failure: string | null; cpuPercent: number | null }> {
  const taskset = cpu !== null ? ["taskset", "-c", String(cpu)] : [];
  const started = performance.now();
  const proc = Bun.spawn(
    [
      ...taskset,
      process.execPath,
      resolve(ROOT, "bench/harness/cli.ts"),
      `${server.host}:${server.port}`,
      ...args,
      "--json",
    ],
    { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 600_000 },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  // The harness's own CPU over its whole life (start-up included), to show whether it was the bottleneck.
  const wall = (performance.now() - started) / 1000;
  const usage = proc.resourceUsage();
  const cpuPercent = usage ? Math.round(Number(usage.cpuTime.total) / 1e4 / wall) : null;
  const line = stdout.trim().split("\n").pop() ?? "";
  if (!line.startsWith("{")) {
    return {
      result: null,
      failure: `harness exited ${code}: ${stderr.trim().split("\n").pop()}`,
      cpuPercent,
    };
  }
  const result = JSON.parse(line) as BenchResult;
  return {
    result,
    failure: code === 0 ? null : `harness exited ${code} with ${result.errorsTotal} errors`,
    cpuPercent,
  };
}

async function runOne(
  shape: Shape,
  round: number,
  spec: Parameters<typeof startServer>[0],
  settings: Settings,
  cpus: { server: number | null; harness: number | null },
  host: string,
): Promise<CompareRun> {
  const server = await startServer(spec, cpus.server, host);
  try {
    const base = [...shapeArgs(shape), "--title", `${spec.name} ${shape.name}`];
    if (settings.warmup > 0)
      await harness(server, [...base, "-d", String(settings.warmup)], cpus.harness);
    const before = cpuSeconds(server.pid);
    const metrics = server.metricsUrl ? ["--metrics-url", server.metricsUrl] : [];
    const { result, failure, cpuPercent } = await harness(
      server,
      [...base, "-d", String(settings.duration), ...metrics],
      cpus.harness,
    );
    const after = cpuSeconds(server.pid);
    const mem = memory(server.pid);
    return {
      shape: shape.name,
      server: spec.name,
      round,
      result,
      failure,
      serverCpuSeconds:
        before !== null && after !== null ? Math.round((after - before) * 100) / 100 : null,
      serverPeakRssBytes: mem?.peakRssBytes ?? null,
      harnessCpuPercent: cpuPercent,
    };
  } finally {
    await server.stop();
  }
}

function gitCommit(): string | null {
  const out = Bun.spawnSync(["git", "describe", "--always", "--dirty"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "ignore",
  });
  return out.exitCode === 0 ? out.stdout.toString().trim() : null;
}

async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(argv);
  if (typeof settings === "string") {
    process.stdout.write(`${settings}\n`);
    return 0;
  }
  const machine = describeMachine();
  const loadAtStart = os.loadavg()[0] ?? 0;
  const pinned = machine.taskset && machine.cores >= 2;
  const cpus = pinned ? { server: 0, harness: 1 } : { server: null, harness: null };
  const { servers: all, skipped } = prepareServers();
  const servers = settings.servers ? all.filter((s) => settings.servers?.includes(s.name)) : all;
  const notes: Skipped[] = [...skipped];
  const limit = openFileLimit();
  const shapes = SHAPES.filter((s) => settings.shapes === null || s.name.includes(settings.shapes));
  const runnable = shapes.filter((s) => {
    if (s.connections < 5000 || limit >= FDS_FOR_5000) return true;
    notes.push({
      name: s.name,
      reason: `ulimit -n is ${limit}; this shape needs ${FDS_FOR_5000} (run: ulimit -n 65536)`,
    });
    return false;
  });
  for (const s of notes) process.stderr.write(`skipping ${s.name}: ${s.reason}\n`);
  if (!pinned) process.stderr.write("not pinning: taskset missing or fewer than 2 cores\n");

  const runs: CompareRun[] = [];
  for (const shape of runnable) {
    for (let round = 1; round <= settings.rounds; round++) {
      // Each round starts with a different server, so none always runs first (or last).
      const turn = (round - 1) % servers.length;
      for (const spec of [...servers.slice(turn), ...servers.slice(0, turn)]) {
        process.stderr.write(
          `${shape.name} / ${spec.name}${settings.rounds > 1 ? ` (round ${round})` : ""}: `,
        );
        // A loopback address of its own for each run: the TIME_WAIT sockets one run leaves
        // behind (tens of thousands after churn) must not slow the next run's connects.
        const host = `127.0.${1 + Math.floor(runs.length / 250)}.${1 + (runs.length % 250)}`;
        const run = await runOne(shape, round, spec, settings, cpus, host).catch(
          (error: Error): CompareRun => ({
            shape: shape.name,
            server: spec.name,
            round,
            result: null,
            failure: error.message,
            serverCpuSeconds: null,
            serverPeakRssBytes: null,
            harnessCpuPercent: null,
          }),
        );
        runs.push(run);
        process.stderr.write(
          run.result
            ? `${Math.round(run.result.messages.average).toLocaleString("en-US")} msg/s, p99 ${run.result.latency.p99} ms, server CPU ${run.serverCpuSeconds} s${run.failure ? ` (${run.failure})` : ""}\n`
            : `failed: ${run.failure}\n`,
        );
      }
    }
  }

  const date = new Date().toISOString();
  const report: CompareReport = {
    command: `npm run bench:compare${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    commit: gitCommit(),
    date,
    machine,
    settings: {
      duration: settings.duration,
      warmup: settings.warmup,
      rounds: settings.rounds,
      pinned,
    },
    loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? 0 },
    skipped: notes,
    runs,
  };
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stem = resolve(dir, `compare-${date.replace(/[:.]/g, "-")}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${stem}.html`, renderChartHtml(report));
  writeFileSync(`${stem}.md`, markdownTable(report));
  process.stdout.write(printCompareTable(report));
  process.stdout.write(`results: ${stem}.json\nchart:   ${stem}.html\ntable:   ${stem}.md\n`);
  return runs.some((r) => r.failure) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench:compare: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(error instanceof EchodError ? error.exitCode : 1);
  },
);
