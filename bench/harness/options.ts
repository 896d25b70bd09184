/**
 * The `echod-bench` command line: the one flag table and yargs' definition
 * from it, then validation (options-validate.ts) into one frozen
 * `BenchOptions`. Pure: argv in, options (or help text) out; bad input
 * throws a usage error naming the flag and the value (exit 2).
 */
import yargs from "yargs";
// src/cli.ts calls a flag's definition its "shape"; in bench/ a shape is a load shape only.
import { type FlagShape as FlagSyntax, scanFlags } from "../../src/cli.ts";
import { EchodError, usageError } from "../../src/errors.ts";
import { parseBoolean } from "../../src/units.ts";
import { VERSION } from "../../src/version.ts";
import { ERROR_CLASSES, ERROR_MEANINGS } from "./errors.ts";
import { LOAD_TEST_FLAGS } from "./options-load.ts";
import { type BenchOptions, DEFAULT_DURATION, validate } from "./options-validate.ts";
import { THRESHOLD_EXIT_CODE } from "./thresholds.ts";

export { type BenchOptions, DEFAULT_DURATION, parseTarget } from "./options-validate.ts";

export type ParsedCli =
  | { readonly kind: "run"; readonly options: BenchOptions }
  | { readonly kind: "output"; readonly text: string };

const EPILOG = `Modes: closed loop (default; each connection keeps --pipelining messages in flight), open loop (--rate: messages sent on a schedule, latency from when each was due), churn (--churn: connect, echo one message, close).
Exit codes: 0 clean run; 1 any error below; 2 bad flags; ${THRESHOLD_EXIT_CODE} a --threshold broken.
Error classes: ${ERROR_CLASSES.map((k) => `${k} (${ERROR_MEANINGS[k]})`).join("; ")}.`;

/** One flag of echod-bench: its syntax, help text and default (`shownDefault` when yargs must not fill it in). */
export type BenchFlag = FlagSyntax & {
  readonly describe: string;
  /** May be given more than once; every value is kept, in order. */
  readonly repeatable?: boolean;
  readonly default?: string;
  readonly shownDefault?: string;
};

/**
 * Every flag once: yargs' definition, --help, the repeated-flag scan and the
 * table in docs/bench-options.md (bench/harness/options-docs.ts) all read this list.
 */
export const FLAGS: readonly BenchFlag[] = [
  {
    flag: "connections",
    alias: "c",
    boolean: false,
    describe: "Concurrent connections",
    default: "10",
  },
  {
    flag: "size",
    alias: "s",
    boolean: false,
    describe: "Message size (64, 4KiB, 64KiB)",
    default: "64",
  },
  {
    flag: "pipelining",
    alias: "p",
    boolean: false,
    describe: "Messages in flight per connection (closed loop)",
    default: "1",
  },
  {
    flag: "duration",
    alias: "d",
    boolean: false,
    describe: "Seconds of measured load (10, 500ms, 1m)",
    shownDefault: String(DEFAULT_DURATION),
  },
  {
    flag: "amount",
    alias: "a",
    boolean: false,
    describe: "Messages to echo in total, instead of --duration",
  },
  { flag: "warmup", boolean: false, describe: "Seconds of unmeasured load first", default: "0" },
  {
    flag: "timeout",
    boolean: false,
    describe: "Seconds a message may take before it counts as a timeout",
    default: "10",
  },
  {
    flag: "workers",
    alias: "w",
    boolean: false,
    describe: "Harness threads; results merged histogram by histogram",
    default: "1",
  },
  {
    flag: "rate",
    alias: "R",
    boolean: false,
    describe:
      "Open loop: messages per second in total, on a fixed schedule; or stages RATE:DURATION,... (1000:10s,5000:30s)",
  },
  {
    flag: "churn",
    boolean: true,
    describe: "Connect, echo one message, close, repeat; reports connections/s",
  },
  {
    flag: "json",
    alias: "j",
    boolean: true,
    describe: "One JSON line on stdout (tables still go to stderr)",
  },
  { flag: "title", boolean: false, describe: "A label carried into the report" },
  {
    flag: "metrics-url",
    boolean: false,
    describe:
      "echod's /metrics URL: adds the server's CPU, peak RSS, backpressure pauses and rejections",
  },
  {
    flag: "banner-bytes",
    boolean: false,
    describe:
      "Skip this many bytes the server sends first on each connection (echod --banner) before checking echo",
  },
  {
    flag: "banner-line",
    boolean: true,
    describe:
      "Skip the server's first line (up to LF, at most 4 KiB) on each connection before checking echo",
  },
  {
    flag: "progress",
    boolean: true,
    describe: "Progress bar on stderr",
    shownDefault: "on a TTY",
  },
  ...LOAD_TEST_FLAGS,
];

export function parseBenchCli(argv: readonly string[], isTTY: boolean): ParsedCli {
  let output = "";
  const parser = yargs([...argv])
    .scriptName("echod-bench")
    .usage(
      "$0 TARGET [options]\n\nLoad-test any echo server and check every byte it echoes. TARGET: host:port (TCP), tls://host:port, unix:/path or udp://host:port.",
    )
    .command("$0 <target>", false)
    .positional("target", {
      type: "string",
      describe: "host:port ([::1]:port for IPv6), tls://host:port, unix:/path, udp://host:port",
    })
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
      // yargs lists a stray positional ("echod-bench a:1 b:2") with the unknown flags.
      if (unknown?.[1] !== undefined && argv.includes(unknown[1])) {
        throw new EchodError("E_USAGE", `unexpected argument ${JSON.stringify(unknown[1])}`);
      }
      throw new EchodError(
        "E_USAGE",
        unknown
          ? `unknown option ${unknown[1]?.length === 1 ? "-" : "--"}${unknown[1]} (see echod-bench --help)`
          : text.startsWith("Not enough non-option arguments")
            ? "missing target: give host:port, such as 127.0.0.1:7007 (see echod-bench --help)"
            : text,
      );
    });
  for (const f of FLAGS) {
    parser.option(f.flag, {
      type: f.boolean ? "boolean" : "string",
      describe: f.describe,
      ...(f.alias === undefined ? {} : { alias: f.alias }),
      ...(f.default === undefined ? {} : { default: f.default }),
      ...(f.shownDefault === undefined ? {} : { defaultDescription: f.shownDefault }),
    });
  }
  const parsed = parser.parseSync([...argv], {}, (_err, _argv, text) => {
    output = text;
  }) as Record<string, unknown>;
  if (output) return { kind: "output", text: output };
  const booleanText = scanFlags(
    argv,
    FLAGS.filter((f) => f.repeatable !== true),
  );
  for (const f of FLAGS) if (f.repeatable === true) parsed[f.flag] = repeatedValues(argv, f);
  for (const f of FLAGS) {
    const text = booleanText[f.flag];
    if (text !== undefined) parsed[f.flag] = switchValue(`--${f.flag}`, text);
  }
  return { kind: "run", options: validate(parsed, isTTY) };
}

/** Every value of a repeatable flag, in order: `--flag VALUE` and `--flag=VALUE`, up to `--`. */
function repeatedValues(argv: readonly string[], f: BenchFlag): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") break;
    if (token.startsWith(`--${f.flag}=`)) values.push(token.slice(f.flag.length + 3));
    else if (token === `--${f.flag}`) {
      const value = argv[++i];
      if (value === undefined) throw usageError(`--${f.flag}`, "", "needs a value");
      values.push(value);
    }
  }
  return values;
}

/** `--json=VALUE`: only "true" or "false" (yargs alone reads any other VALUE as false). */
function switchValue(flag: string, text: string): boolean {
  const value = parseBoolean(text);
  if (value === null) throw usageError(flag, text, "must be true or false");
  return value;
}
