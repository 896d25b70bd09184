/**
 * Pure parts of the soak: the samples it takes, the verdict on growth, and
 * the table it prints. Growth is judged on the second half of the run (the
 * first half is warm-up: heaps and allocator pools settle): the median RSS of
 * the last quarter against that of the second quarter, and a least-squares
 * slope over the second half for the record.
 */
import Table from "cli-table3";

export interface SoakSample {
  /** Seconds since the load started. */
  readonly t: number;
  readonly rssBytes: number;
  readonly openFds: number;
  readonly active: number;
  readonly bufferedBytes: number;
  readonly accepted: number;
  /** Verified stream bytes and round trips since the previous sample, per second. */
  readonly streamBytesPerSec: number;
  readonly roundTripsPerSec: number;
  readonly errors: number;
}

export interface SoakVerdict {
  readonly ok: boolean;
  /** Median RSS of the last quarter over that of the second quarter, minus 1, in percent. */
  readonly rssGrowthPercent: number;
  /** Least-squares slope of RSS over the second half, in MiB per hour. */
  readonly rssSlopeMiBPerHour: number;
  readonly openFdsAtStart: number;
  readonly openFdsAtEnd: number;
  readonly activeAtEnd: number;
  readonly errors: number;
  readonly reasons: string[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Slope (y per x) of the least-squares line through the points. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return den === 0 ? 0 : num / den;
}

export interface VerdictInput {
  readonly samples: readonly SoakSample[];
  /** Open descriptors before the load started, and after it stopped and echod settled. */
  readonly fdsBefore: number;
  readonly fdsAfter: number;
  readonly activeAfter: number;
  readonly errors: number;
  /** Allowed RSS growth, last quarter against second quarter, in percent. */
  readonly maxGrowthPercent: number;
}

export function judge(input: VerdictInput): SoakVerdict {
  const { samples } = input;
  const q = Math.floor(samples.length / 4);
  const second = samples.slice(q, 2 * q).map((s) => s.rssBytes);
  const last = samples.slice(samples.length - q).map((s) => s.rssBytes);
  const growth = q > 0 ? (median(last) / median(second) - 1) * 100 : Number.NaN;
  const half = samples.slice(Math.floor(samples.length / 2));
  const perSecond = slope(
    half.map((s) => s.t),
    half.map((s) => s.rssBytes),
  );
  const reasons: string[] = [];
  if (q === 0) reasons.push(`too few samples (${samples.length}) to judge growth; need at least 4`);
  else if (growth > input.maxGrowthPercent) {
    reasons.push(
      `RSS grew ${growth.toFixed(1)}% from the second to the last quarter (limit ${input.maxGrowthPercent}%)`,
    );
  }
  if (input.fdsAfter > input.fdsBefore) {
    reasons.push(`open descriptors ${input.fdsBefore} before the load, ${input.fdsAfter} after`);
  }
  if (input.activeAfter !== 0)
    reasons.push(`${input.activeAfter} connections still active after the load`);
  if (input.errors > 0)
    reasons.push(`${input.errors} client errors (wrong echo or lost connection)`);
  return {
    ok: reasons.length === 0,
    rssGrowthPercent: round(growth, 2),
    rssSlopeMiBPerHour: round((perSecond * 3600) / 2 ** 20, 2),
    openFdsAtStart: input.fdsBefore,
    openFdsAtEnd: input.fdsAfter,
    activeAtEnd: input.activeAfter,
    errors: input.errors,
    reasons,
  };
}

export function formatTable(samples: readonly SoakSample[]): string {
  const table = new Table({
    head: [
      "t (s)",
      "RSS MiB",
      "fds",
      "active",
      "buffered KiB",
      "accepted",
      "stream MiB/s",
      "rt/s",
      "errors",
    ],
    style: { head: [], border: [], compact: true },
  });
  for (const s of samples) {
    table.push([
      s.t.toFixed(0),
      (s.rssBytes / 2 ** 20).toFixed(1),
      s.openFds,
      s.active,
      (s.bufferedBytes / 1024).toFixed(0),
      s.accepted,
      (s.streamBytesPerSec / 2 ** 20).toFixed(2),
      s.roundTripsPerSec.toFixed(0),
      s.errors,
    ]);
  }
  return table.toString();
}

export function formatVerdict(v: SoakVerdict): string {
  const head = v.ok ? "verdict: no growth" : "verdict: FAIL";
  return [
    head,
    `  RSS median, last quarter vs second quarter: ${v.rssGrowthPercent >= 0 ? "+" : ""}${v.rssGrowthPercent}%`,
    `  RSS slope over the second half: ${v.rssSlopeMiBPerHour} MiB/hour`,
    `  open descriptors: ${v.openFdsAtStart} before the load, ${v.openFdsAtEnd} after`,
    `  active connections after the load: ${v.activeAtEnd}; client errors: ${v.errors}`,
    ...v.reasons.map((r) => `  ${r}`),
  ].join("\n");
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
