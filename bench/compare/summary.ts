/**
 * The figures the comparison's tables and chart are made of: per shape and
 * server, the median over rounds of messages/s, MB/s, p99, server CPU per GB
 * echoed, server CPU %, peak RSS, the harness's own CPU % and throughput over
 * echod's (`rows`), and echod's ratios to each baseline paired round by round
 * (`targetRows`). Kept apart from the printing so both outputs read the same
 * numbers.
 */
import type { CompareReport, CompareRun } from "./record.ts";

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
