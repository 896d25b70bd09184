/**
 * The record a comparison keeps: one CompareRun per (part, shape, server,
 * round), the start-up runs, and the CompareReport around them (provenance,
 * settings, load, skipped baselines). Its own module so the summary, the
 * tables and the chart can share the shape of the data without importing
 * each other.
 *
 * The parts: `capacity` (each server driven flat out by the reference
 * generator, bench/baselines/epoll-load.c), `fixed-rate` (every server at the
 * same open-loop rate from the generator), `harness` (echod-bench and the
 * generator in turn against the C server, for the harness ceiling) and the
 * start-up runs (bench/compare/startup.ts).
 */
import type { Machine } from "./machine.ts";
import type { Skipped } from "./servers.ts";
import type { StartupRun } from "./startup.ts";

export const PARTS = ["capacity", "fixed-rate", "harness", "startup"] as const;
export type Part = (typeof PARTS)[number];

/** One load run's figures, from either tool. */
export interface Measurement {
  readonly tool: "epoll-load" | "echod-bench";
  readonly messages: number;
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
  /** Seconds of measured load. */
  readonly duration: number;
  readonly p99Ms: number;
  /** Byte mismatches and connection errors. */
  readonly errors: number;
  /** The open-loop rate asked for (messages/s), null for closed loop. */
  readonly rate: number | null;
  /**
   * echod-bench's own mark (its `--json` field `harnessBound`): a harness
   * worker used at least 90% of a core. null for the C generator, or for an
   * echod-bench that does not report it.
   */
  readonly harnessBound: boolean | null;
}

export interface CompareRun {
  readonly part: Exclude<Part, "startup">;
  readonly shape: string;
  readonly server: string;
  /** Which round (1-based) of `--rounds`; each round runs every server once on the shape. */
  readonly round: number;
  /** null if the run failed (see `failure`). */
  readonly result: Measurement | null;
  readonly failure: string | null;
  /** Server CPU seconds (utime + stime from /proc) over the measured run. */
  readonly serverCpuSeconds: number | null;
  /** Server peak RSS (VmHWM) at the end of the run. */
  readonly serverPeakRssBytes: number | null;
  /** The load tool's CPU time over its wall time, in percent of one core. */
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
    /** Seconds between a server's readiness and its first load (all parts but start-up). */
    readonly settle: number;
    readonly rounds: number;
    readonly pinned: boolean;
    readonly parts: readonly Part[];
  };
  /**
   * The machine's 1-minute load average when the comparison started and
   * ended: above 1 on a 2-core machine means other work shared the cores.
   */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly skipped: readonly Skipped[];
  readonly runs: readonly CompareRun[];
  /** The fixed rate each shape ran at (messages/s): half the slowest server's median capacity. */
  readonly fixedRates: Readonly<Record<string, number>>;
  readonly startup: readonly StartupRun[];
}
