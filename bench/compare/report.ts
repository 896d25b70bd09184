/**
 * The comparison's results: the record kept for each (shape, server) run,
 * the one table printed at the end (messages/s, MB/s, p99, server CPU per GB
 * echoed, server CPU %, peak RSS, the harness's own CPU %, and each
 * server's throughput over echod's on the same shape), and the results file written next to the chart.
 */
import Table from "cli-table3";
import type { BenchResult } from "../aggregate.ts";
import type { Machine } from "./machine.ts";
import type { Skipped } from "./servers.ts";

export interface CompareRun {
  readonly shape: string;
  readonly server: string;
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

export function rows(report: CompareReport): Row[] {
  const echod = new Map<string, number>();
  for (const run of report.runs) {
    if (run.server === "echod" && run.result) echod.set(run.shape, run.result.messages.average);
  }
  return report.runs.map((run) => {
    const r = run.result;
    const cpu = run.serverCpuSeconds;
    const base = echod.get(run.shape);
    return {
      shape: run.shape,
      server: run.server,
      messagesPerSecond: r ? Math.round(r.messages.average) : null,
      megabytesPerSecond: r ? round(r.bytes.average / 1e6, 1) : null,
      p99Ms: r ? r.latency.p99 : null,
      cpuSecondsPerGB:
        r && cpu !== null && r.bytes.total > 0 ? round(cpu / (r.bytes.total / 1e9), 1) : null,
      cpuPercent: r && cpu !== null && r.duration > 0 ? Math.round((100 * cpu) / r.duration) : null,
      peakRssMiB:
        run.serverPeakRssBytes === null ? null : round(run.serverPeakRssBytes / 1024 ** 2, 1),
      harnessCpuPercent: run.harnessCpuPercent,
      errors: r ? r.errorsTotal : null,
      ratio: r && base ? round(r.messages.average / base, 2) : null,
    };
  });
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
  const lines = [
    table.toString(),
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
    `\`${report.command}\` at ${report.commit ?? "an unknown commit"}, ${report.date}: ${report.settings.duration} s per shape after a ${report.settings.warmup} s warmup, ${report.settings.pinned ? "server on core 0 and harness on core 1" : "not pinned"}, loopback.`,
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
  for (const s of report.skipped) lines.push("", `Skipped ${s.name}: ${s.reason}.`);
  return `${lines.join("\n")}\n`;
}
