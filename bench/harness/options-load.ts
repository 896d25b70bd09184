/**
 * The flags of echod-bench for load tests proper (TLS targets, thresholds,
 * load shaping, live metrics, distributed runs, the HTML report) and their
 * checks: rows of the one flag table (options.ts spreads them into FLAGS),
 * kept apart so each file stays one screenful of rules.
 */
import type { FlagShape } from "../../src/cli.ts";
import { usageError } from "../../src/errors.ts";
import { parseDecimal, parseInteger, parseSeconds } from "../../src/units.ts";
import { parseSlice } from "./slice.ts";
import { type ClientTls, clientTls, type Endpoint } from "./target.ts";
import { parseThreshold, type Threshold } from "./thresholds.ts";

/** A flag of the table in options.ts (the same shape as its BenchFlag). */
export type LoadTestFlag = FlagShape & {
  readonly describe: string;
  readonly repeatable?: boolean;
  readonly default?: string;
  readonly shownDefault?: string;
};

export const LOAD_TEST_FLAGS: readonly LoadTestFlag[] = [
  {
    flag: "ca",
    boolean: false,
    describe: "tls:// target: PEM CA bundle to verify the server with",
  },
  {
    flag: "cert",
    boolean: false,
    describe: "tls:// target: PEM client certificate (mutual TLS; needs --key)",
  },
  { flag: "key", boolean: false, describe: "tls:// target: PEM private key of --cert" },
  {
    flag: "servername",
    boolean: false,
    describe: "tls:// target: the name sent (SNI) and verified, instead of the host",
  },
  {
    flag: "insecure",
    boolean: true,
    describe: "tls:// target: do not verify the server's certificate",
  },
  {
    flag: "connect-rate",
    boolean: false,
    describe: "Connections opened per second (evenly spaced), instead of all at once",
  },
  {
    flag: "channel-lifetime",
    boolean: false,
    describe: "Seconds after which each connection closes (once its echoes are in) and reconnects",
  },
  {
    flag: "metrics-port",
    boolean: false,
    describe:
      "Serve the harness's own Prometheus metrics on this port while it runs (0: the kernel picks; printed on stderr)",
  },
  {
    flag: "metrics-host",
    boolean: false,
    describe: "Address --metrics-port binds",
    default: "127.0.0.1",
  },
  {
    flag: "start-at",
    boolean: false,
    describe:
      "Wait until this time (ISO 8601 with a zone, such as 2026-05-01T12:00:00Z) before connecting, so many harnesses start together",
  },
  {
    flag: "slice",
    boolean: false,
    describe:
      "INDEX/COUNT: run slice INDEX (from 0) of COUNT of the load (connections, rate, amount), as one pod of an Indexed Job",
  },
  {
    flag: "html",
    boolean: false,
    describe:
      "Write the run as an HTML page with charts (per-second rate and latency) to this file",
  },
  {
    flag: "threshold",
    boolean: false,
    repeatable: true,
    describe:
      "Pass/fail criterion, repeatable: METRIC OP VALUE, such as p99<5ms, rate>=20000, throughput>10MiB, errors==0 (see docs/benchmarking.md)",
  },
  {
    flag: "abort-on-fail",
    boolean: true,
    describe: "Stop the run as soon as a --threshold can no longer pass",
  },
];

export interface LoadTestOptions {
  /** tls:// targets: the client's TLS settings, else null. */
  readonly tls: ClientTls | null;
  readonly thresholds: readonly Threshold[];
  readonly abortOnFail: boolean;
  /** Connections opened per second, or null for all at once. */
  readonly connectRate: number | null;
  /** Seconds after which each connection closes and reconnects, or null. */
  readonly channelLifetime: number | null;
  /** --metrics-port (null: no live metrics) and the address it binds. */
  readonly metricsPort: number | null;
  readonly metricsHost: string;
  /** --start-at, in milliseconds since the epoch, or null. */
  readonly startAt: number | null;
  /** --html FILE, or null. */
  readonly html: string | null;
  /** --slice INDEX/COUNT, or null for the whole load. */
  readonly slice: { readonly index: number; readonly count: number } | null;
}

/** The raw values yargs parsed for LOAD_TEST_FLAGS, checked. */
export function validateLoadTest(
  a: Record<string, unknown>,
  endpoint: Endpoint,
  churn: boolean,
): LoadTestOptions {
  const connectRate =
    a["connect-rate"] === undefined ? null : positive("--connect-rate", a["connect-rate"]);
  const lifetime = a["channel-lifetime"];
  const channelLifetime = lifetime === undefined ? null : seconds("--channel-lifetime", lifetime);
  if (channelLifetime !== null && (churn || endpoint.transport === "udp")) {
    throw usageError(
      "--channel-lifetime",
      lifetime,
      churn ? "cannot be combined with --churn" : "does not apply to a udp:// target",
    );
  }
  const thresholds = (a.threshold as string[] | undefined)?.map(parseThreshold) ?? [];
  const abortOnFail = a["abort-on-fail"] === true;
  if (abortOnFail && thresholds.length === 0) {
    throw usageError("--abort-on-fail", "true", "needs at least one --threshold");
  }
  const metricsPort =
    a["metrics-port"] === undefined ? null : port("--metrics-port", a["metrics-port"]);
  const metricsHost = String(a["metrics-host"] ?? "127.0.0.1");
  if (
    a["metrics-host"] !== undefined &&
    a["metrics-host"] !== "127.0.0.1" &&
    metricsPort === null
  ) {
    throw usageError("--metrics-host", metricsHost, "has no effect without --metrics-port");
  }
  return {
    startAt: a["start-at"] === undefined ? null : startTime(String(a["start-at"])),
    slice: a.slice === undefined ? null : parseSlice(String(a.slice)),
    html: a.html === undefined ? null : nonEmpty("--html", a.html),
    tls: clientTls(endpoint, a),
    metricsPort,
    metricsHost,
    thresholds,
    abortOnFail,
    connectRate,
    channelLifetime,
  };
}

export function positive(flag: string, value: unknown): number {
  const n = parseDecimal(String(value));
  if (n === null || n <= 0) {
    throw usageError(flag, value, "must be a decimal number above 0, such as 1000 or 2.5");
  }
  return n;
}

export function seconds(flag: string, value: unknown): number {
  const s = parseSeconds(String(value));
  if (s === null || s <= 0 || s > 86_400) {
    throw usageError(
      flag,
      value,
      "must be above 0 seconds (at most a day), such as 10, 1.5 or 250ms",
    );
  }
  return s;
}

export function port(flag: string, value: unknown): number {
  const n = parseInteger(String(value));
  if (n === null || n > 65_535) {
    throw usageError(flag, value, "must be a port from 0 (the kernel chooses) to 65535");
  }
  return n;
}

function startTime(text: string): number {
  const ms = Date.parse(text);
  if (
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) ||
    Number.isNaN(ms)
  ) {
    throw usageError(
      "--start-at",
      text,
      "must be an ISO 8601 time with a zone, such as 2026-05-01T12:00:00Z",
    );
  }
  if (ms - Date.now() > 86_400_000)
    throw usageError("--start-at", text, "is more than a day ahead");
  return ms;
}

function nonEmpty(flag: string, value: unknown): string {
  const text = String(value);
  if (text === "") throw usageError(flag, text, "needs a file name");
  return text;
}
