/**
 * The comparison's results: the record kept for each (shape, server, round)
 * run, the table printed at the end (per shape and server, the median over
 * rounds of messages/s, MB/s, p99, server CPU per GB echoed, server CPU %,
 * peak RSS, the harness's own CPU %, and throughput over echod's on the same
 * shape), the table of echod's ratios to each baseline (paired round by
 * round, median and range), and the results file written next to the chart.
 */
import Table from "cli-table3";
import type { BenchResult } from "../harness/aggregate.ts";
import type { Machine } from "./machine.ts";
import type { Skipped } from "./servers.ts";

export interface CompareRun {
  readonly shape: string;
  readonly server: string;
  /** Which round (1-based) of `--rounds`; each round runs every server once on the shape. */
  readonly round: number;
  /** The harness's --json report, or null if the run failed (see `failure`). */
  readonly result: BenchResult | null;
  readonly failure: string | null;
  /** Server CPU seconds (utime + stime from /proc) over the measured run. */
  readonly serverCpuSeconds: number | null;
  /** Server peak RSS (VmHWM) at the end of the run. */
  readonly serverPeakRssBytes: number | null;
  /** The harness process's CPU time over its wall time, in percent of one core. */
  readonly harnessCpuPercent: number | null;
}

export interface CompareReport {
  readonly command: string;
  /** `git describe --always --dirty` of the checkout, or null outside git. */
  readonly commit: string | null;
  readonly date: string;
  readonly machine: Machine;
  readonly settings: {
    readonly duration: number;
    readonly warmup: number;
    readonly rounds: number;
    readonly pinned: boolean;
  };
  /**
   * The machine's 1-minute load average when the comparison started and
   * ended: above 1 on a 2-core machine means other work shared the cores.
   */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly skipped: readonly Skipped[];
  readonly runs: readonly CompareRun[];
}

export interface Row {
  readonly shape: string;
  readonly server: string;
  readonly messagesPerSecond: number | null;
  readonly megabytesPerSecond: number | null;
  readonly p99Ms: number | null;
  readonly cpuSecondsPerGB: number | null;
  readonly cpuPercent: number | null;
  readonly peakRssMiB: number | null;
  readonly harnessCpuPercent: number | null;
  readonly errors: number | null;
  /** messages/s over echod's on the same shape. */
  readonly ratio: number | null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The median of the numbers (the mean of the middle two for an even count), or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The figures of one run that the tables are made of; null where the run failed. */
interface Figures {
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
  readonly p99Ms: number;
  readonly cpuSecondsPerGB: number | null;
  readonly cpuPercent: number | null;
  readonly errors: number;
}

function figures(run: CompareRun): Figures | null {
  const r = run.result;
  if (!r) return null;
  const cpu = run.serverCpuSeconds;
  return {
    messagesPerSecond: r.messages.average,
    bytesPerSecond: r.bytes.average,
    p99Ms: r.latency.p99,
    cpuSecondsPerGB: cpu !== null && r.bytes.total > 0 ? cpu / (r.bytes.total / 1e9) : null,
    cpuPercent: cpu !== null && r.duration > 0 ? (100 * cpu) / r.duration : null,
    errors: r.errorsTotal,
  };
}

/** The runs grouped by shape, then server, in the order they first ran. */
function groups(report: CompareReport): Map<string, Map<string, CompareRun[]>> {
  const byShape = new Map<string, Map<string, CompareRun[]>>();
  for (const run of report.runs) {
    let byServer = byShape.get(run.shape);
    if (!byServer) {
      byServer = new Map();
      byShape.set(run.shape, byServer);
    }
    const list = byServer.get(run.server);
    if (list) list.push(run);
    else byServer.set(run.server, [run]);
  }
  return byShape;
}

const defined = (values: readonly (number | null)[]): number[] =>
  values.filter((v): v is number => v !== null);

/** One row per (shape, server): medians over the rounds that produced a result. */
export function rows(report: CompareReport): Row[] {
  const out: Row[] = [];
  for (const [shape, byServer] of groups(report)) {
    const stats = new Map<string, { runs: CompareRun[]; figs: Figures[] }>();
    for (const [server, runs] of byServer)
      stats.set(server, {
        runs,
        figs: runs.map(figures).filter((f): f is Figures => f !== null),
      });
    const echodMps = median(stats.get("echod")?.figs.map((f) => f.messagesPerSecond) ?? []);
    for (const [server, { runs, figs }] of stats) {
      const mps = median(figs.map((f) => f.messagesPerSecond));
      const bps = median(figs.map((f) => f.bytesPerSecond));
      const p99 = median(figs.map((f) => f.p99Ms));
      const perGB = median(defined(figs.map((f) => f.cpuSecondsPerGB)));
      const cpuPct = median(defined(figs.map((f) => f.cpuPercent)));
      const peak = defined(runs.map((r) => r.serverPeakRssBytes));
      const harness = median(defined(runs.map((r) => r.harnessCpuPercent)));
      out.push({
        shape,
        server,
        messagesPerSecond: mps === null ? null : Math.round(mps),
        megabytesPerSecond: bps === null ? null : round(bps / 1e6, 1),
        p99Ms: p99 === null ? null : round(p99, 3),
        cpuSecondsPerGB: perGB === null ? null : round(perGB, 1),
        cpuPercent: cpuPct === null ? null : Math.round(cpuPct),
        peakRssMiB: peak.length ? round(Math.max(...peak) / 1024 ** 2, 1) : null,
        harnessCpuPercent: harness === null ? null : Math.round(harness),
        errors: figs.length ? figs.reduce((sum, f) => sum + f.errors, 0) : null,
        ratio: mps !== null && echodMps ? round(mps / echodMps, 2) : null,
      });
    }
  }
  return out;
}

/** A ratio of echod to a baseline, paired round by round: the median and the range over rounds. */
export interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

/** echod over one baseline on one shape. Above 1 is better for msg/s, worse for p99 and CPU per GB. */
export interface TargetRow {
  readonly shape: string;
  readonly baseline: string;
  readonly messagesPerSecond: Ratio | null;
  readonly p99: Ratio | null;
  readonly cpuPerGB: Ratio | null;
}

function ratio(pairs: readonly [number | null, number | null][]): Ratio | null {
  const values = pairs
    .filter((p): p is [number, number] => p[0] !== null && p[1] !== null && p[1] > 0)
    .map(([a, b]) => a / b);
  const mid = median(values);
  if (mid === null) return null;
  return {
    median: round(mid, 2),
    min: round(Math.min(...values), 2),
    max: round(Math.max(...values), 2),
    rounds: values.length,
  };
}

/**
 * echod's ratio to each baseline on each shape, taken within each round
 * (echod and the baseline ran minutes apart at most, under the same load on
 * the machine) and then summarised: the median, and the range that shows the
 * noise.
 */
export function targetRows(report: CompareReport): TargetRow[] {
  const out: TargetRow[] = [];
  for (const [shape, byServer] of groups(report)) {
    const echod = new Map<number, Figures | null>();
    for (const run of byServer.get("echod") ?? []) echod.set(run.round, figures(run));
    if (echod.size === 0) continue;
    for (const [baseline, runs] of byServer) {
      if (baseline === "echod") continue;
      const pairs = runs.map((run) => [echod.get(run.round) ?? null, figures(run)] as const);
      const pick = (f: (x: Figures) => number | null) =>
        ratio(pairs.map(([e, b]) => [e ? f(e) : null, b ? f(b) : null]));
      out.push({
        shape,
        baseline,
        messagesPerSecond: pick((x) => x.messagesPerSecond),
        p99: pick((x) => x.p99Ms),
        cpuPerGB: pick((x) => x.cpuSecondsPerGB),
      });
    }
  }
  return out;
}

function showRatio(r: Ratio | null): string {
  if (r === null) return "-";
  return r.rounds > 1 && r.min !== r.max ? `${r.median} (${r.min}-${r.max})` : String(r.median);
}

export function printCompareTable(report: CompareReport): string {
  const table = new Table({
    head: [
      "shape",
      "server",
      "msg/s",
      "MB/s",
      "p99 ms",
      "CPU s/GB",
      "CPU %",
      "RSS MiB",
      "harness CPU %",
      "errors",
      "x echod",
    ],
    style: { head: [], border: [] },
  });
  const show = (v: number | null) => (v === null ? "-" : v.toLocaleString("en-US"));
  for (const row of rows(report)) {
    table.push([
      row.shape,
      row.server,
      show(row.messagesPerSecond),
      show(row.megabytesPerSecond),
      show(row.p99Ms),
      show(row.cpuSecondsPerGB),
      show(row.cpuPercent),
      show(row.peakRssMiB),
      show(row.harnessCpuPercent),
      show(row.errors),
      show(row.ratio),
    ]);
  }
  const targets = new Table({
    head: ["shape", "echod / baseline", "msg/s", "p99", "CPU s/GB"],
    style: { head: [], border: [] },
  });
  for (const t of targetRows(report)) {
    targets.push([
      t.shape,
      t.baseline,
      showRatio(t.messagesPerSecond),
      showRatio(t.p99),
      showRatio(t.cpuPerGB),
    ]);
  }
  const lines = [
    table.toString(),
    `echod over each baseline, paired within each of ${report.settings.rounds} round(s): median (range)`,
    targets.toString(),
    `load average (1 min) at start ${report.loadAverage.start}, at end ${report.loadAverage.end}, on ${report.machine.cores} cores`,
  ];
  for (const s of report.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  for (const run of report.runs)
    if (run.failure) lines.push(`${run.server} on ${run.shape}: ${run.failure}`);
  return `${lines.join("\n")}\n`;
}

/** The same table in Markdown, with the run's provenance, for the README (written as compare-TIME.md). */
export function markdownTable(report: CompareReport): string {
  const m = report.machine;
  const show = (v: number | null) => (v === null ? "-" : v.toLocaleString("en-US"));
  const lines = [
    `\`${report.command}\` at ${report.commit ?? "an unknown commit"}, ${report.date}: ${roundsText(report.settings.rounds)}${report.settings.duration} s per shape and server after a ${report.settings.warmup} s warmup, ${report.settings.pinned ? "server on core 0 and harness on core 1" : "not pinned"}, loopback.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}; Bun ${m.bun}, Node ${m.node ?? "-"}, ${m.go ?? "no Go"}, ${m.cc ?? "no C compiler"}. Load average (1 min): ${report.loadAverage.start} at the start, ${report.loadAverage.end} at the end.`,
    "",
    "| shape | server | msg/s | MB/s | p99 ms | server CPU s/GB | server CPU % | server RSS MiB | harness CPU % | errors | msg/s vs echod |",
    "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  for (const r of rows(report)) {
    lines.push(
      `| ${r.shape} | ${r.server} | ${show(r.messagesPerSecond)} | ${show(r.megabytesPerSecond)} | ${show(r.p99Ms)} | ${show(r.cpuSecondsPerGB)} | ${show(r.cpuPercent)} | ${show(r.peakRssMiB)} | ${show(r.harnessCpuPercent)} | ${show(r.errors)} | ${show(r.ratio)} |`,
    );
  }
  lines.push(
    "",
    `echod over each baseline, paired within each round${report.settings.rounds > 1 ? ": the median over rounds, with the range in brackets" : ""}:`,
    "",
    "| shape | baseline | echod msg/s ÷ baseline | echod p99 ÷ baseline | echod CPU s/GB ÷ baseline |",
    "| --- | --- | --: | --: | --: |",
  );
  for (const t of targetRows(report)) {
    lines.push(
      `| ${t.shape} | ${t.baseline} | ${showRatio(t.messagesPerSecond)} | ${showRatio(t.p99)} | ${showRatio(t.cpuPerGB)} |`,
    );
  }
  for (const s of report.skipped) lines.push("", `Skipped ${s.name}: ${s.reason}.`);
  return `${lines.join("\n")}\n`;
}

function roundsText(rounds: number): string {
  return rounds > 1
    ? `${rounds} rounds (each server once per round, taking turns to go first; medians over rounds), `
    : "";
}
