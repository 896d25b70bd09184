/**
 * Turns the workers' raw results into the one report that `--json` prints
 * (schema in README.md, "Benchmarking"): histograms merged bucket by bucket,
 * counts summed, per-second samples summed second by second.
 */
import { isHarnessBound } from "./cpu.ts";
import type { EngineResult } from "./engine.ts";
import { addErrorCounts, createErrorCounts, type ErrorCounts, totalErrors } from "./errors.ts";
import { encodeHistogram, type LatencySummary, mergeHistograms, summarize } from "./histogram.ts";
import type { BenchOptions } from "./options.ts";
import type { ServerSide } from "./server-metrics.ts";
import { formatEndpoint, type Transport } from "./target.ts";
import type { Measured, ThresholdVerdict } from "./thresholds.ts";

/** A total, its rate over the measured time, and the spread of the per-second samples. */
export interface Throughput {
  readonly total: number;
  /** Per second: total / duration. */
  readonly average: number;
  readonly stdev: number;
  readonly min: number;
  readonly max: number;
  readonly p2_5: number;
  readonly p50: number;
  readonly p97_5: number;
  /** Whole seconds sampled. */
  readonly samples: number;
}

export interface BenchResult {
  readonly title: string | null;
  /** As given: `host:port` for TCP, else `tls://host:port`, `unix:/path` or `udp://host:port`. */
  readonly target: string;
  readonly transport: Transport;
  readonly mode: "closed" | "rate" | "churn";
  readonly connections: number;
  readonly size: number;
  readonly pipelining: number;
  readonly workers: number;
  readonly rate: number | null;
  /** `--rate` in stages (then `rate` is the highest stage's), else null. */
  readonly stages: readonly { readonly rate: number; readonly seconds: number }[] | null;
  readonly connectRate: number | null;
  readonly channelLifetime: number | null;
  /** --start-at (ISO 8601), when the run waited for it; --slice as "INDEX/COUNT". */
  readonly startAt: string | null;
  readonly slice: string | null;
  /** Seconds of measured load. */
  readonly duration: number;
  readonly start: string;
  readonly finish: string;
  readonly messages: Throughput;
  readonly bytes: Throughput;
  readonly latency: LatencySummary;
  /** Churn only: connections opened, echoed once and closed cleanly, and their connect latency. */
  readonly churn: {
    readonly connections: Throughput;
    readonly connectLatency: LatencySummary;
  } | null;
  readonly mismatches: number;
  readonly errors: ErrorCounts;
  readonly errorsTotal: number;
  /** With --metrics-url: the server's own account of the run. */
  readonly server: ServerSide | null;
  /** Each worker thread's CPU over the measured load, as a fraction of one core. */
  readonly workerCpu: number[];
  /** Each worker thread's time ready to run but waiting for a core, as a fraction; null where unknown. */
  readonly workerWaiting: (number | null)[];
  /** A worker was busy (CPU plus run-queue wait) for at least 90% of the run: the harness may be the limit. */
  readonly harnessBound: boolean;
  /** With --threshold: each one judged, and the one that stopped the run (--abort-on-fail). */
  readonly thresholds: ThresholdVerdict | null;
  /** The merged HDR histograms, encoded (hdr-histogram-js compressed base64), for `echod-bench merge`. */
  readonly histograms: { readonly latency: string; readonly connectLatency: string | null };
  /** The per-second samples the throughputs describe, for `echod-bench merge`. */
  readonly perSecond: { readonly messages: readonly number[]; readonly bytes: readonly number[] };
}

export function throughput(total: number, seconds: number, samples: readonly number[]): Throughput {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : (sorted[Math.min(n - 1, Math.floor(q * n))] as number));
  const mean = n === 0 ? 0 : sorted.reduce((s, v) => s + v, 0) / n;
  const variance = n === 0 ? 0 : sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  return {
    total,
    average: seconds > 0 ? Math.round((total / seconds) * 100) / 100 : 0,
    stdev: Math.round(Math.sqrt(variance) * 100) / 100,
    min: n === 0 ? 0 : (sorted[0] as number),
    max: n === 0 ? 0 : (sorted[n - 1] as number),
    p2_5: at(0.025),
    p50: at(0.5),
    p97_5: at(0.975),
    samples: n,
  };
}

/** Per-second samples of several workers, added second by second (as far as every worker got). */
export function sumSeconds(series: readonly (readonly number[])[]): number[] {
  const length = Math.min(...series.map((s) => s.length));
  return Array.from({ length }, (_, i) => series.reduce((sum, s) => sum + (s[i] as number), 0));
}

export function aggregate(
  o: BenchOptions,
  parts: readonly EngineResult[],
  times: { start: Date; finish: Date },
  server: ServerSide | null,
): BenchResult {
  const seconds = Math.max(...parts.map((p) => p.elapsedMs)) / 1000;
  const sum = (f: (p: EngineResult) => number) => parts.reduce((s, p) => s + f(p), 0);
  const errors = createErrorCounts();
  for (const p of parts) addErrorCounts(errors, p.errors);
  const connects = sum((p) => p.connects);
  const latency = mergeHistograms(parts.map((p) => p.latency));
  const connectLatency = o.churn
    ? mergeHistograms(parts.flatMap((p) => (p.connectLatency ? [p.connectLatency] : [])))
    : null;
  const perSecond = {
    messages: sumSeconds(parts.map((p) => p.perSecond.messages)),
    bytes: sumSeconds(parts.map((p) => p.perSecond.bytes)),
  };
  return {
    title: o.title,
    target: formatEndpoint(o),
    transport: o.transport,
    mode: o.churn ? "churn" : o.rate !== null ? "rate" : "closed",
    connections: o.connections,
    size: o.size,
    pipelining: o.pipelining,
    workers: o.workers,
    rate: o.rate,
    stages: o.stages,
    connectRate: o.connectRate,
    channelLifetime: o.channelLifetime,
    startAt: o.startAt === null ? null : new Date(o.startAt).toISOString(),
    slice: o.slice === null ? null : `${o.slice.index}/${o.slice.count}`,
    duration: Math.round(seconds * 1000) / 1000,
    start: times.start.toISOString(),
    finish: times.finish.toISOString(),
    messages: throughput(
      sum((p) => p.messages),
      seconds,
      perSecond.messages,
    ),
    bytes: throughput(
      sum((p) => p.bytes),
      seconds,
      perSecond.bytes,
    ),
    latency: summarize(latency),
    churn: connectLatency
      ? {
          // Per-second samples are of messages; in churn each connection echoes exactly one.
          connections: throughput(connects, seconds, perSecond.messages),
          connectLatency: summarize(connectLatency),
        }
      : null,
    mismatches: errors.mismatch,
    errors,
    errorsTotal: totalErrors(errors),
    server,
    workerCpu: parts.map((p) => p.busy.cpu),
    workerWaiting: parts.map((p) => p.busy.waiting),
    harnessBound: isHarnessBound(parts.map((p) => p.busy)),
    thresholds: null,
    histograms: {
      latency: encodeHistogram(latency),
      connectLatency: connectLatency ? encodeHistogram(connectLatency) : null,
    },
    perSecond,
  };
}

/** The figures of a report that thresholds judge. */
export function measuredOf(r: BenchResult): Measured {
  return {
    latency: r.latency,
    connectLatency: r.churn?.connectLatency ?? null,
    rate: r.messages.average,
    throughput: r.bytes.average,
    errorsTotal: r.errorsTotal,
    errors: r.errors,
  };
}
