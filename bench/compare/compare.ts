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
import { EchodError } from "../../src/errors.ts";
import { renderChartHtml } from "./chart.ts";
import { describeMachine } from "./machine.ts";
import { type CompareReport, type CompareRun, markdownTable, printCompareTable } from "./report.ts";
import { runOne } from "./run-one.ts";
import { prepareServers, ROOT, type Skipped } from "./servers.ts";
import { parseArgs } from "./settings.ts";
import { SHAPES } from "./shapes.ts";

/** File descriptors the 5000-connection shape needs in each process, with room to spare. */
const FDS_FOR_5000 = 5200;

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
