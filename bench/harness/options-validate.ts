/**
 * `BenchOptions` and the checks that make one: yargs' raw flag values in, one
 * frozen, validated set of options out. Split from options.ts (the flag table
 * and yargs) so the rules for each value read on their own; a bad value
 * throws a usage error naming the flag and the value (exit 2).
 */
import { usageError } from "../../src/errors.ts";
import { parseDecimal, parseInteger, parseSeconds, parseSize } from "../../src/units.ts";
import type { RateStage } from "./engine-conn.ts";
import { type LoadTestOptions, validateLoadTest } from "./options-load.ts";
import { applySlice } from "./slice.ts";
import { parseEndpoint, parseHostPort, type Transport } from "./target.ts";

export interface BenchOptions extends LoadTestOptions {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  /** unix: targets: the socket's path, else null. */
  readonly unix: string | null;
  readonly connections: number;
  readonly size: number;
  readonly pipelining: number;
  readonly duration: number | null;
  readonly amount: number | null;
  readonly warmup: number;
  readonly timeout: number;
  readonly workers: number;
  readonly rate: number | null;
  readonly churn: boolean;
  readonly json: boolean;
  readonly title: string | null;
  readonly metricsUrl: string | null;
  readonly progress: boolean;
  /** What each connection skips before its echo: 0 nothing, N > 0 bytes, BANNER_LINE the first line. */
  readonly banner: number;
  /** `--rate R1:D1,R2:D2,...`: the open loop's stages (then `rate` is the highest), else null. */
  readonly stages: readonly RateStage[] | null;
}

/** `banner` for --banner-line: a line of at most this many bytes (echod's longest banner), LF included. */
export const BANNER_LINE = -4096;

export const DEFAULT_DURATION = 10;

/** The raw values yargs parsed (flag name -> value), checked and frozen. */
export function validate(a: Record<string, unknown>, isTTY: boolean): BenchOptions {
  const endpoint = parseEndpoint(String(a.target));
  const { host, port } = endpoint;
  const amount = a.amount === undefined ? null : integer("--amount", a.amount, 1, 1e12);
  if (amount !== null && a.duration !== undefined) {
    throw usageError("--amount", a.amount, "give --duration or --amount, not both");
  }
  const stages = a.rate === undefined ? null : parseStages(String(a.rate));
  if (stages !== null && (a.duration !== undefined || amount !== null)) {
    throw usageError(
      "--rate",
      a.rate,
      "stages set the run's length: give no --duration or --amount with them",
    );
  }
  const duration =
    amount !== null
      ? null
      : stages !== null
        ? stages.reduce((t, s) => t + s.seconds, 0)
        : a.duration === undefined
          ? DEFAULT_DURATION
          : seconds("--duration", a.duration, true);
  const rate =
    stages !== null
      ? Math.max(...stages.map((s) => s.rate))
      : a.rate === undefined
        ? null
        : positiveNumber("--rate", a.rate);
  const churn = a.churn === true;
  if (churn && rate !== null) throw usageError("--rate", a.rate, "cannot be combined with --churn");
  const connections = integer("--connections", a.connections, 1, 1_000_000);
  const workers = integer("--workers", a.workers, 1, 64);
  if (workers > connections) {
    throw usageError("--workers", a.workers, `must not exceed --connections (${connections})`);
  }
  const size = parseSize(String(a.size));
  if (size === null || size < 1 || size > 64 * 1024 * 1024) {
    throw usageError(
      "--size",
      a.size,
      "must be a size from 1 byte to 64MiB, such as 64, 4KiB or 1MiB",
    );
  }
  const metricsUrl = a["metrics-url"] === undefined ? null : String(a["metrics-url"]);
  if (metricsUrl !== null && !/^https?:\/\/[^/\s]+/.test(metricsUrl)) {
    throw usageError("--metrics-url", metricsUrl, "must be an http:// or https:// URL");
  }
  const bannerBytes =
    a["banner-bytes"] === undefined ? 0 : integer("--banner-bytes", a["banner-bytes"], 1, 1 << 20);
  if (bannerBytes > 0 && a["banner-line"] === true) {
    throw usageError(
      "--banner-bytes",
      a["banner-bytes"],
      "give --banner-bytes or --banner-line, not both",
    );
  }
  const load = validateLoadTest(a, endpoint, churn);
  if (endpoint.transport === "udp") {
    if (churn) throw usageError("--churn", "true", "does not apply to a udp:// target");
    if (size < 4 || size > 65_507) {
      throw usageError("--size", a.size, "must be 4 to 65507 bytes for a udp:// target");
    }
  }
  return Object.freeze(
    applySlice({
      banner: a["banner-line"] === true ? BANNER_LINE : bannerBytes,
      transport: endpoint.transport,
      host,
      port,
      unix: endpoint.unix,
      ...load,
      connections,
      size,
      pipelining: integer("--pipelining", a.pipelining, 1, 65_536),
      duration,
      amount,
      warmup: seconds("--warmup", a.warmup, false),
      timeout: seconds("--timeout", a.timeout, true),
      workers,
      rate,
      churn,
      json: a.json === true,
      title: a.title === undefined ? null : String(a.title),
      metricsUrl,
      progress: typeof a.progress === "boolean" ? a.progress : isTTY,
      stages: stages !== null && stages.length > 1 ? stages : null,
    }),
  );
}

/** "127.0.0.1:7007", "localhost:7007", "[::1]:7007". */
export function parseTarget(target: string): { host: string; port: number } {
  return parseHostPort(target);
}

/** `--rate 1000` (no stages: null), or `--rate 1000:10s,5000:30s` (stages). */
function parseStages(text: string): RateStage[] | null {
  if (!text.includes(":")) return null;
  return text.split(",").map((part) => {
    const [r = "", d = "", extra] = part.split(":");
    const rate = parseDecimal(r);
    const s = parseSeconds(d);
    if (extra !== undefined || rate === null || rate <= 0 || s === null || s <= 0 || s > 86_400) {
      throw usageError(
        "--rate",
        text,
        `stage ${JSON.stringify(part)} must be RATE:DURATION, such as 1000:10s (stages joined by commas)`,
      );
    }
    return { rate, seconds: s };
  });
}

function integer(flag: string, value: unknown, min: number, max: number): number {
  const n = parseInteger(String(value));
  if (n === null || n < min || n > max) {
    throw usageError(flag, value, `must be a decimal integer from ${min} to ${max}`);
  }
  return n;
}

function positiveNumber(flag: string, value: unknown): number {
  const n = parseDecimal(String(value));
  if (n === null || n <= 0) {
    throw usageError(flag, value, "must be a decimal number above 0, such as 1000 or 2.5");
  }
  return n;
}

function seconds(flag: string, value: unknown, positive: boolean): number {
  const s = parseSeconds(String(value));
  if (s === null || (positive && s <= 0) || s > 86_400) {
    throw usageError(
      flag,
      value,
      `must be ${positive ? "above 0" : "0 or more"} seconds (at most a day), such as 10, 1.5 or 250ms`,
    );
  }
  return s;
}
