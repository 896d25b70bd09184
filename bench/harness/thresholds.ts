/**
 * Pass/fail thresholds (`--threshold EXPR`, repeatable), in the manner of
 * k6's: `p99<5ms`, `rate>=20000`, `throughput>10MiB`, `errors==0`. Pure:
 * parsing (a malformed expression is a usage error naming it), judging a
 * finished report, and telling mid-run whether a threshold can still pass
 * (for --abort-on-fail). A broken threshold makes echod-bench exit 99.
 */
import { usageError } from "../../src/errors.ts";
import { parseDecimal, parseSize } from "../../src/units.ts";
import type { ErrorCounts } from "./errors.ts";
import type { LatencySummary } from "./histogram.ts";

/** The exit code of a run that broke a threshold: k6's, distinct from 1 (errors) and 2 (bad flags). */
export const THRESHOLD_EXIT_CODE = 99;

const LATENCY_KEYS = ["p50", "p90", "p99", "p99_9", "max", "mean"] as const;
type LatencyKey = (typeof LATENCY_KEYS)[number];

export const THRESHOLD_METRICS = [
  ...LATENCY_KEYS,
  ...LATENCY_KEYS.map((k) => `connect_${k}` as const),
  "rate",
  "throughput",
  "errors",
  "mismatches",
] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];

const OPERATORS = ["<=", ">=", "==", "<", ">"] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Threshold {
  readonly expression: string;
  readonly metric: ThresholdMetric;
  readonly operator: Operator;
  /** In the metric's unit: ms for latency, msg/s for rate, bytes/s for throughput, a count otherwise. */
  readonly limit: number;
}

export interface ThresholdCheck extends Threshold {
  readonly unit: string;
  readonly measured: number;
  readonly pass: boolean;
}

/** What thresholds are judged on: a finished report, or the merge of several. */
export interface Measured {
  readonly latency: LatencySummary;
  readonly connectLatency: LatencySummary | null;
  /** Messages and bytes per second over the measured time. */
  readonly rate: number;
  readonly throughput: number;
  readonly errorsTotal: number;
  readonly errors: ErrorCounts;
}

const LATENCY_UNITS: Record<string, number> = { "": 1, us: 0.001, µs: 0.001, ms: 1, s: 1000 };

export function unitOf(metric: ThresholdMetric): string {
  if (metric === "rate") return "msg/s";
  if (metric === "throughput") return "B/s";
  if (metric === "errors" || metric === "mismatches") return "";
  return "ms";
}

const SYNTAX = /^\s*([a-z_0-9]+)\s*(<=|>=|==|<|>)\s*(\S+?)\s*$/;

/** "p99 < 5ms" -> a Threshold; anything else is a usage error naming --threshold and the text. */
export function parseThreshold(expression: string): Threshold {
  const bad = (why: string) => usageError("--threshold", expression, why);
  const match = SYNTAX.exec(expression);
  if (!match) {
    throw bad(
      "must be METRIC OPERATOR VALUE, such as p99<5ms, rate>=20000, throughput>10MiB or errors==0",
    );
  }
  const [, name = "", op = "", text = ""] = match;
  if (!(THRESHOLD_METRICS as readonly string[]).includes(name)) {
    throw bad(`unknown metric ${JSON.stringify(name)}: use one of ${THRESHOLD_METRICS.join(", ")}`);
  }
  const metric = name as ThresholdMetric;
  const limit = parseLimit(metric, text);
  if (limit === null) throw bad(limitHelp(metric));
  return { expression: expression.trim(), metric, operator: op as Operator, limit };
}

function parseLimit(metric: ThresholdMetric, text: string): number | null {
  if (metric === "rate") return parseDecimal(text.replace(/\/s$/, ""));
  if (metric === "throughput") return parseSize(text.replace(/\/s$/, ""));
  if (metric === "errors" || metric === "mismatches") return parseDecimal(text);
  const m = /^(\d+(?:\.\d+)?)([a-zµ]*)$/.exec(text);
  const factor = m ? LATENCY_UNITS[m[2] ?? ""] : undefined;
  if (!m || factor === undefined || parseDecimal(m[1] ?? "") === null) return null;
  return Number(m[1]) * factor;
}

function limitHelp(metric: ThresholdMetric): string {
  if (metric === "rate") return "the value of rate must be messages per second, such as 20000";
  if (metric === "throughput") {
    return "the value of throughput must be bytes per second, such as 10MiB, 1500000 or 1GB/s";
  }
  if (metric === "errors" || metric === "mismatches") {
    return `the value of ${metric} must be a count, such as 0`;
  }
  return `the value of ${metric} must be a latency in ms, or with a unit (us, ms, s), such as 5 or 250us`;
}

export function measuredValue(t: Threshold, m: Measured): number {
  switch (t.metric) {
    case "rate":
      return m.rate;
    case "throughput":
      return m.throughput;
    case "errors":
      return m.errorsTotal;
    case "mismatches":
      return m.errors.mismatch;
    default: {
      const connect = t.metric.startsWith("connect_");
      const key = (connect ? t.metric.slice(8) : t.metric) as LatencyKey;
      const summary = connect ? m.connectLatency : m.latency;
      return summary === null ? 0 : summary[key];
    }
  }
}

export function compare(measured: number, op: Operator, limit: number): boolean {
  switch (op) {
    case "<":
      return measured < limit;
    case "<=":
      return measured <= limit;
    case ">":
      return measured > limit;
    case ">=":
      return measured >= limit;
    case "==":
      return measured === limit;
  }
}

export function judge(thresholds: readonly Threshold[], m: Measured): ThresholdCheck[] {
  return thresholds.map((t) => {
    const measured = measuredValue(t, m);
    return { ...t, unit: unitOf(t.metric), measured, pass: compare(measured, t.operator, t.limit) };
  });
}

/** Counts and maxima only grow during a run: once one is over an upper bound, no later second can bring it back. */
const GROWS_ONLY = new Set<ThresholdMetric>(["errors", "mismatches", "max", "connect_max"]);

/** The first threshold that can no longer pass, given the figures so far (null while all still can). */
export function hopeless(thresholds: readonly Threshold[], so_far: Measured): Threshold | null {
  for (const t of thresholds) {
    if (!GROWS_ONLY.has(t.metric) || t.operator.startsWith(">")) continue;
    const v = measuredValue(t, so_far);
    const broken = t.operator === "==" ? v > t.limit : !compare(v, t.operator, t.limit);
    if (broken) return t;
  }
  return null;
}

export interface ThresholdVerdict {
  readonly checks: readonly ThresholdCheck[];
  /** The expression that stopped the run early (--abort-on-fail), or null. */
  readonly abortedBy: string | null;
  readonly pass: boolean;
}

export function verdict(
  thresholds: readonly Threshold[],
  m: Measured,
  abortedBy: string | null,
): ThresholdVerdict {
  const checks = judge(thresholds, m);
  return { checks, abortedBy, pass: abortedBy === null && checks.every((c) => c.pass) };
}

/**
 * The exit code: 99 when a threshold broke; else 1 when errors occurred (with
 * a threshold on `errors`, that threshold decides for every class but
 * mismatches, which always fail a run); else 0.
 */
export function exitCode(
  v: ThresholdVerdict | null,
  errorsTotal: number,
  mismatches: number,
): number {
  if (v !== null && !v.pass) return THRESHOLD_EXIT_CODE;
  if (mismatches > 0) return 1;
  const errorsJudged = v?.checks.some((c) => c.metric === "errors") === true;
  return errorsTotal > 0 && !errorsJudged ? 1 : 0;
}
