/**
 * The figures the comparison's tables and chart are made of: per part, shape
 * and server, the median over rounds of messages/s, MB/s, p99, server CPU
 * microseconds per message, server CPU %, peak RSS, the load tool's own CPU
 * % and throughput over echod's (`rows`); echod's ratios to each baseline
 * paired round by round (`targetRows`); echod-bench's rate over the
 * generator's on the C server (`harnessRows`). Kept apart from the printing
 * so every output reads the same numbers.
 */
import { median } from "./median.ts";
import type { CompareReport, CompareRun, Part } from "./record.ts";

export { median };

export interface Row {
  readonly part: Part;
  readonly shape: string;
  readonly server: string;
  readonly messagesPerSecond: number | null;
  readonly megabytesPerSecond: number | null;
  readonly p99Ms: number | null;
  readonly cpuMicrosPerMessage: number | null;
  readonly cpuPercent: number | null;
  readonly peakRssMiB: number | null;
  readonly harnessCpuPercent: number | null;
  readonly errors: number | null;
  /** messages/s over echod's on the same shape in the same part. */
  readonly ratio: number | null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The figures of one run that the tables are made of; null where the run failed. */
interface Figures {
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerMessage: number | null;
  readonly cpuPercent: number | null;
  readonly errors: number;
}

function figures(run: CompareRun): Figures | null {
  const r = run.result;
  if (!r) return null;
  const cpu = run.serverCpuSeconds;
  return {
    messagesPerSecond: r.messagesPerSecond,
    bytesPerSecond: r.bytesPerSecond,
    p99Ms: r.p99Ms,
    cpuMicrosPerMessage: cpu !== null && r.messages > 0 ? (cpu * 1e6) / r.messages : null,
    cpuPercent: cpu !== null && r.duration > 0 ? (100 * cpu) / r.duration : null,
    errors: r.errors,
  };
}

/** The runs of `part` grouped by shape, then server, in the order they first ran. */
function groups(report: CompareReport, part: Part): Map<string, Map<string, CompareRun[]>> {
  const byShape = new Map<string, Map<string, CompareRun[]>>();
  for (const run of report.runs) {
    if (run.part !== part) continue;
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

/** One row per (shape, server) of `part`: medians over the rounds that produced a result. */
export function rows(report: CompareReport, part: Part = "capacity"): Row[] {
  const out: Row[] = [];
  for (const [shape, byServer] of groups(report, part)) {
    const stats = new Map<string, { runs: CompareRun[]; figs: Figures[] }>();
    for (const [server, runs] of byServer)
      stats.set(server, { runs, figs: runs.map(figures).filter((f): f is Figures => f !== null) });
    const echodMps = median(stats.get("echod")?.figs.map((f) => f.messagesPerSecond) ?? []);
    for (const [server, { runs, figs }] of stats) {
      const mps = median(figs.map((f) => f.messagesPerSecond));
      const bps = median(figs.map((f) => f.bytesPerSecond));
      const p99 = median(figs.map((f) => f.p99Ms));
      const perMsg = median(defined(figs.map((f) => f.cpuMicrosPerMessage)));
      const cpuPct = median(defined(figs.map((f) => f.cpuPercent)));
      const peak = defined(runs.map((r) => r.serverPeakRssBytes));
      const harness = median(defined(runs.map((r) => r.harnessCpuPercent)));
      out.push({
        part,
        shape,
        server,
        messagesPerSecond: mps === null ? null : Math.round(mps),
        megabytesPerSecond: bps === null ? null : round(bps / 1e6, 1),
        p99Ms: p99 === null ? null : round(p99, 3),
        cpuMicrosPerMessage: perMsg === null ? null : round(perMsg, 2),
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

/** A ratio paired round by round: the median and the range over rounds. */
export interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

/** echod over one baseline on one shape. Above 1 is better for msg/s, worse for p99 and CPU per message. */
export interface TargetRow {
  readonly part: Part;
  readonly shape: string;
  readonly baseline: string;
  readonly messagesPerSecond: Ratio | null;
  readonly p99: Ratio | null;
  readonly cpuPerMessage: Ratio | null;
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
 * echod's ratio to each baseline on each shape of `part`, taken within each
 * round (echod and the baseline ran minutes apart at most, under the same
 * load on the machine) and then summarised: the median, and the range that
 * shows the noise.
 */
export function targetRows(report: CompareReport, part: Part = "capacity"): TargetRow[] {
  const out: TargetRow[] = [];
  for (const [shape, byServer] of groups(report, part)) {
    const echod = new Map<number, Figures | null>();
    for (const run of byServer.get("echod") ?? []) echod.set(run.round, figures(run));
    if (echod.size === 0) continue;
    for (const [baseline, runs] of byServer) {
      if (baseline === "echod") continue;
      const pairs = runs.map((run) => [echod.get(run.round) ?? null, figures(run)] as const);
      const pick = (f: (x: Figures) => number | null) =>
        ratio(pairs.map(([e, b]) => [e ? f(e) : null, b ? f(b) : null]));
      out.push({
        part,
        shape,
        baseline,
        messagesPerSecond: pick((x) => x.messagesPerSecond),
        p99: pick((x) => x.p99Ms),
        cpuPerMessage: pick((x) => x.cpuMicrosPerMessage),
      });
    }
  }
  return out;
}

/** The harness ceiling on one shape: echod-bench's msg/s over the generator's, both on the C server. */
export interface HarnessRow {
  readonly shape: string;
  readonly generatorMessagesPerSecond: number | null;
  readonly benchMessagesPerSecond: number | null;
  readonly ratio: Ratio | null;
  /** Rounds echod-bench marked harness-bound, of those that reported the mark (null: none did). */
  readonly harnessBound: { readonly marked: number; readonly of: number } | null;
}

export function harnessRows(report: CompareReport): HarnessRow[] {
  const out: HarnessRow[] = [];
  for (const [shape, byTool] of groups(report, "harness")) {
    const load = byTool.get("epoll-load") ?? [];
    const bench = byTool.get("echod-bench") ?? [];
    const byRound = new Map(load.map((r) => [r.round, r.result?.messagesPerSecond ?? null]));
    const marks = defined(
      bench.map((r) => (r.result?.harnessBound == null ? null : r.result.harnessBound ? 1 : 0)),
    );
    const mps = (runs: CompareRun[]) =>
      median(defined(runs.map((r) => r.result?.messagesPerSecond ?? null)));
    const g = mps(load);
    const b = mps(bench);
    out.push({
      shape,
      generatorMessagesPerSecond: g === null ? null : Math.round(g),
      benchMessagesPerSecond: b === null ? null : Math.round(b),
      ratio: ratio(
        bench.map((r) => [r.result?.messagesPerSecond ?? null, byRound.get(r.round) ?? null]),
      ),
      harnessBound: marks.length
        ? { marked: marks.reduce((s, m) => s + m, 0), of: marks.length }
        : null,
    });
  }
  return out;
}

/** The median capacity (msg/s) of each server on `shape`; the fixed-rate part runs at half the lowest. */
export function capacities(runs: readonly CompareRun[], shape: string): Map<string, number> {
  const by = new Map<string, number[]>();
  for (const r of runs)
    if (r.part === "capacity" && r.shape === shape && r.result)
      by.set(r.server, [...(by.get(r.server) ?? []), r.result.messagesPerSecond]);
  return new Map([...by].map(([server, values]) => [server, median(values) as number]));
}
