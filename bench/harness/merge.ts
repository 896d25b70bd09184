/**
 * `echod-bench merge`: the reports of several runs (one --json line each,
 * from many machines or pods) made into one, as if one harness had run them
 * all: histograms decoded and merged bucket by bucket (never percentiles
 * averaged), counts and connections added, per-second samples added second
 * by second. Pure: reports in, one report out; runs of different shapes
 * (target, transport, mode, message size, pipelining, stages, channel
 * lifetime) are refused, since their sum would describe no load at all.
 */
import { usageError } from "../../src/errors.ts";
import { aggregate, type BenchResult } from "./aggregate.ts";
import type { EngineResult } from "./engine.ts";
import { decodeHistogram } from "./histogram.ts";
import type { BenchOptions } from "./options.ts";
import { parseEndpoint } from "./target.ts";

/** What runs must share to be merged. */
const SHAPE = [
  "target",
  "transport",
  "mode",
  "size",
  "pipelining",
  "stages",
  "channelLifetime",
] as const;

/** A key's value as far as shape goes: the stages' lengths, not their rates (slices of a rate differ). */
function shapeOf(r: BenchResult, key: (typeof SHAPE)[number]): unknown {
  return key === "stages" ? (r.stages?.map((s) => s.seconds) ?? null) : r[key];
}

export interface NamedReport {
  /** Where it came from, for error messages: "FILE:LINE". */
  readonly from: string;
  readonly report: BenchResult;
}

/** Reads --json lines; a line that is not a JSON object is skipped (kubectl logs interleaves the tables). */
export function readReports(from: string, text: string): NamedReport[] {
  const reports: NamedReport[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trimStart().startsWith("{")) return;
    const where = `${from}:${i + 1}`;
    let report: BenchResult;
    try {
      report = JSON.parse(line) as BenchResult;
    } catch (error) {
      throw usageError("merge input", where, `is not a JSON line (${(error as Error).message})`);
    }
    if (
      typeof report.histograms?.latency !== "string" ||
      !Array.isArray(report.perSecond?.messages)
    ) {
      throw usageError("merge input", where, "is not an echod-bench --json report with histograms");
    }
    reports.push({ from: where, report });
  });
  return reports;
}

export function mergeReports(reports: readonly NamedReport[], title: string | null): BenchResult {
  const first = reports[0];
  if (first === undefined)
    throw usageError("merge input", "", "holds no echod-bench --json report");
  for (const { from, report } of reports.slice(1)) {
    for (const key of SHAPE) {
      const a = JSON.stringify(shapeOf(first.report, key));
      const b = JSON.stringify(shapeOf(report, key));
      if (a !== b) {
        throw usageError(
          "merge input",
          from,
          `has ${key} ${b} where ${first.from} has ${a}: runs of different shapes cannot be merged`,
        );
      }
    }
  }
  const runs = reports.map((r) => r.report);
  const f = first.report;
  const sum = (read: (r: BenchResult) => number) => runs.reduce((t, r) => t + read(r), 0);
  const sumOrNull = (read: (r: BenchResult) => number | null) =>
    read(f) === null ? null : sum((r) => read(r) ?? 0);
  const endpoint = parseEndpoint(f.target);
  const options = {
    ...endpoint,
    title: title ?? f.title,
    churn: f.mode === "churn",
    connections: sum((r) => r.connections),
    workers: sum((r) => r.workers),
    rate: sumOrNull((r) => r.rate),
    connectRate: sumOrNull((r) => r.connectRate),
    size: f.size,
    pipelining: f.pipelining,
    stages:
      f.stages?.map((s, i) => ({
        rate: sum((r) => r.stages?.[i]?.rate ?? 0),
        seconds: s.seconds,
      })) ?? null,
    channelLifetime: f.channelLifetime,
    startAt: null,
    slice: null,
  } as unknown as BenchOptions;
  const parts: EngineResult[] = runs.map((r) => ({
    messages: r.messages.total,
    bytes: r.bytes.total,
    connects: r.churn?.connections.total ?? 0,
    elapsedMs: r.duration * 1000,
    perSecond: { messages: [...r.perSecond.messages], bytes: [...r.perSecond.bytes] },
    latency: decodeHistogram(r.histograms.latency),
    connectLatency: r.histograms.connectLatency
      ? decodeHistogram(r.histograms.connectLatency)
      : null,
    errors: r.errors,
    // Each run's own workers are reported below, as they were measured.
    busy: { cpu: 0, waiting: null },
  }));
  const start = new Date(Math.min(...runs.map((r) => Date.parse(r.start))));
  const finish = new Date(Math.max(...runs.map((r) => Date.parse(r.finish))));
  const startAts = new Set(runs.map((r) => r.startAt));
  const merged = aggregate(options, parts, { start, finish }, null);
  return {
    ...merged,
    startAt: startAts.size === 1 ? f.startAt : null,
    slice: null,
    // Every run's workers, in run order; harness-bound when any run was.
    workerCpu: runs.flatMap((r) => r.workerCpu),
    workerWaiting: runs.flatMap((r) => r.workerWaiting),
    harnessBound: runs.some((r) => r.harnessBound),
  };
}
