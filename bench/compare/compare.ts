#!/usr/bin/env bun
/**
 * `npm run bench:compare`: echod beside the baseline echo servers, in four
 * parts (record.ts): capacity and fixed rate, each server driven by the
 * reference generator (bench/baselines/epoll-load.c); the harness ceiling,
 * echod-bench against the C server as a ratio to the generator; and
 * echod's start-up. A fresh server process per run, left idle for
 * `--settle` seconds after it is ready (except at start-up), server and load
 * pinned to different cores when `taskset` exists. Prints the tables and
 * writes bench/results/compare-<time>.json (with the machine's description),
 * a chart in compare-<time>.html and the tables in compare-<time>.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { EchodError } from "../../src/errors.ts";
import { buildLoadGenerator } from "../common/epoll-load.ts";
import { renderChartHtml } from "./chart.ts";
import { describeMachine } from "./machine.ts";
import { runParts } from "./parts.ts";
import { type CompareReport, markdownTable, printCompareTable } from "./report.ts";
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
  const generator = buildLoadGenerator();
  if ("reason" in generator)
    throw new Error(`the reference generator cannot be built: ${generator.reason}`);
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

  const { runs, fixedRates, startup } = await runParts({
    settings,
    shapes: runnable,
    servers,
    c: all.find((s) => s.name === "c-epoll") ?? null,
    cpus,
    generator: generator.path,
    log: (text) => process.stderr.write(text),
  });
  const date = new Date().toISOString();
  const report: CompareReport = {
    command: `npm run bench:compare${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    commit: gitCommit(),
    date,
    machine,
    settings: {
      duration: settings.duration,
      warmup: settings.warmup,
      settle: settings.settle,
      rounds: settings.rounds,
      pinned,
      parts: settings.parts,
    },
    loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? 0 },
    skipped: notes,
    runs,
    fixedRates,
    startup,
  };
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stem = resolve(dir, `compare-${date.replace(/[:.]/g, "-")}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${stem}.html`, renderChartHtml(report));
  writeFileSync(`${stem}.md`, markdownTable(report));
  process.stdout.write(printCompareTable(report));
  process.stdout.write(`results: ${stem}.json\nchart:   ${stem}.html\ntable:   ${stem}.md\n`);
  return runs.some((r) => r.failure) || startup.some((s) => s.failure) ? 1 : 0;
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
