/**
 * The flags of echod-bench for load tests proper (TLS targets, thresholds,
 * load shaping, live metrics, distributed runs, the HTML report) and their
 * checks: rows of the one flag table (options.ts spreads them into FLAGS),
 * kept apart so each file stays one screenful of rules.
 */
import type { FlagShape } from "../../src/cli.ts";
import { usageError } from "../../src/errors.ts";
import { parseDecimal, parseInteger, parseSeconds } from "../../src/units.ts";
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
