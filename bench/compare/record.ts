/**
 * The record a comparison keeps: one CompareRun per (shape, server, round)
 * and the CompareReport around them (provenance, settings, load, skipped
 * baselines). Its own module so the summary, the tables and the chart can
 * share the shape of the data without importing each other.
 */
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
