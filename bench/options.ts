/**
 * The `echod-bench` command line: yargs definition, then validation into one
 * frozen `BenchOptions`. Pure: argv in, options (or help text) out; bad input
 * throws a usage error naming the flag and the value (exit 2).
 */
import yargs from "yargs";
import { EchodError, usageError } from "../src/errors.ts";
import { parseSeconds, parseSize } from "../src/units.ts";
import { VERSION } from "../src/version.ts";
import { ERROR_CLASSES, ERROR_MEANINGS } from "./errors.ts";

export interface BenchOptions {
  readonly host: string;
  readonly port: number;
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
}

export type ParsedCli =
  | { readonly kind: "run"; readonly options: BenchOptions }
  | { readonly kind: "output"; readonly text: string };

export const DEFAULT_DURATION = 10;

const EPILOG = `Modes: closed loop (default; each connection keeps --pipelining messages in flight), open loop (--rate: messages sent on a schedule, latency from when each was due), churn (--churn: connect, echo one message, close).
Exit codes: 0 clean run; 1 any error below; 2 bad flags.
Error classes: ${ERROR_CLASSES.map((k) => `${k} (${ERROR_MEANINGS[k]})`).join("; ")}.`;

export function parseBenchCli(argv: readonly string[], isTTY: boolean): ParsedCli {
  let output = "";
  const parser = yargs([...argv])
    .scriptName("echod-bench")
    .usage(
      "$0 HOST:PORT [options]\n\nLoad-test any TCP echo server and check every byte it echoes.",
    )
    .command("$0 <target>", false)
    .positional("target", { type: "string", describe: "host:port ([::1]:port for IPv6)" })
    .option("connections", {
      alias: "c",
      type: "string",
      describe: "Concurrent connections",
      default: "10",
    })
    .option("size", {
      alias: "s",
      type: "string",
      describe: "Message size (64, 4KiB, 64KiB)",
      default: "64",
    })
    .option("pipelining", {
      alias: "p",
      type: "string",
      describe: "Messages in flight per connection (closed loop)",
      default: "1",
    })
    .option("duration", {
      alias: "d",
      type: "string",
      describe: `Seconds of measured load (10, 500ms, 1m) [default: ${DEFAULT_DURATION}]`,
    })
    .option("amount", {
      alias: "a",
      type: "string",
      describe: "Messages to echo in total, instead of --duration",
    })
    .option("warmup", {
      type: "string",
      describe: "Seconds of unmeasured load first",
      default: "0",
    })
    .option("timeout", {
      type: "string",
      describe: "Seconds a message may take before it counts as a timeout",
      default: "10",
    })
    .option("workers", {
      alias: "w",
      type: "string",
      describe: "Harness threads; results merged histogram by histogram",
      default: "1",
    })
    .option("rate", {
      alias: "R",
      type: "string",
      describe: "Open loop: messages per second in total, on a fixed schedule",
    })
    .option("churn", {
      type: "boolean",
      describe: "Connect, echo one message, close, repeat; reports connections/s",
    })
    .option("json", {
      alias: "j",
      type: "boolean",
      describe: "One JSON line on stdout (tables still go to stderr)",
    })
    .option("title", { type: "string", describe: "A label carried into the report" })
    .option("metrics-url", {
      type: "string",
      describe:
        "echod's /metrics URL: adds the server's CPU, peak RSS, backpressure pauses and rejections",
    })
    .option("progress", { type: "boolean", describe: "Progress bar on stderr [default: on a TTY]" })
    .version(VERSION)
    .help()
    .alias("h", "help")
    .alias("v", "version")
    .strict()
    .parserConfiguration({ "camel-case-expansion": false, "duplicate-arguments-array": false })
    .epilog(EPILOG)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error instanceof EchodError) throw error;
      const text = (message ?? String(error)).split("\n")[0] ?? "bad arguments";
      const unknown = /^Unknown arguments?: ([^,]+)/.exec(text);
      throw new EchodError(
        "E_USAGE",
        unknown
          ? `unknown option ${unknown[1]?.length === 1 ? "-" : "--"}${unknown[1]} (see echod-bench --help)`
          : text.startsWith("Not enough non-option arguments")
            ? "missing target: give host:port, such as 127.0.0.1:7007 (see echod-bench --help)"
            : text,
      );
    });
  const parsed = parser.parseSync([...argv], {}, (_err, _argv, text) => {
    output = text;
  }) as Record<string, unknown>;
  if (output) return { kind: "output", text: output };
  return { kind: "run", options: validate(parsed, isTTY) };
}

function validate(a: Record<string, unknown>, isTTY: boolean): BenchOptions {
  const { host, port } = parseTarget(String(a.target));
  const amount = a.amount === undefined ? null : integer("--amount", a.amount, 1, 1e12);
  if (amount !== null && a.duration !== undefined) {
    throw usageError("--amount", a.amount, "give --duration or --amount, not both");
  }
  const duration =
    amount !== null
      ? null
      : a.duration === undefined
        ? DEFAULT_DURATION
        : seconds("--duration", a.duration, true);
  const rate = a.rate === undefined ? null : positiveNumber("--rate", a.rate);
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
  return Object.freeze({
    host,
    port,
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
  });
}

/** "127.0.0.1:7007", "localhost:7007", "[::1]:7007". */
export function parseTarget(target: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(target);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw usageError(
      "target",
      target,
      "must be host:port with a port from 1 to 65535, such as 127.0.0.1:7007 or [::1]:7007",
    );
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

function integer(flag: string, value: unknown, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(String(value)) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(flag, value, `must be an integer from ${min} to ${max}`);
  }
  return n;
}

function positiveNumber(flag: string, value: unknown): number {
  const n = Number(value);
  if (String(value).trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw usageError(flag, value, "must be a number above 0");
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
