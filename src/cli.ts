/**
 * The yargs definition of the `echod` command line. Pure: it turns argv and an
 * environment into raw options (or a request for help or the version), and
 * leaves validation to `resolveConfig` and printing and exiting to main.ts.
 */
import yargs from "yargs";
import {
  type Config,
  DEFAULTS,
  FRAMINGS,
  LOG_FORMATS,
  LOG_LEVELS,
  type RawOptions,
} from "./config.ts";
import { EchodError } from "./errors.ts";
import { formatSize } from "./units.ts";
import { VERSION } from "./version.ts";

export const ENV_PREFIX = "ECHOD";

type OptionKey = keyof Config;

interface OptionSpec {
  readonly key: OptionKey;
  readonly flag: string;
  /** A one-letter spelling, `-p`. */
  readonly alias?: string;
  readonly type: "string" | "boolean";
  readonly describe: string;
  readonly shown: string;
}

/** Every option, in the order --help lists them. The environment variable is derived from the flag. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    key: "port",
    flag: "port",
    alias: "p",
    type: "string",
    describe: "Echo port (0 = any free port)",
    shown: String(DEFAULTS.port),
  },
  {
    key: "host",
    flag: "host",
    type: "string",
    describe: "Address to listen on (:: for IPv6 and dual-stack)",
    shown: DEFAULTS.host,
  },
  {
    key: "maxConnections",
    flag: "max-connections",
    type: "string",
    describe: "Concurrent connections before new ones are rejected",
    shown: String(DEFAULTS.maxConnections),
  },
  {
    key: "maxConnectionsPerIp",
    flag: "max-connections-per-ip",
    type: "string",
    describe: "Concurrent connections from one IP address (0 = no limit)",
    shown: String(DEFAULTS.maxConnectionsPerIp),
  },
  {
    key: "idleTimeout",
    flag: "idle-timeout",
    type: "string",
    describe: "Seconds without traffic before a connection is closed (0 = off)",
    shown: String(DEFAULTS.idleTimeout),
  },
  {
    key: "maxBuffer",
    flag: "max-buffer",
    type: "string",
    describe: "Bytes queued per connection before reading pauses (64KiB, 1MiB)",
    shown: formatSize(DEFAULTS.maxBuffer).replace(" ", ""),
  },
  {
    key: "shutdownTimeout",
    flag: "shutdown-timeout",
    type: "string",
    describe: "Seconds to drain connections on SIGTERM before cutting them",
    shown: String(DEFAULTS.shutdownTimeout),
  },
  {
    key: "shutdownDelay",
    flag: "shutdown-delay",
    type: "string",
    describe: "Seconds to report not-ready on SIGTERM before draining",
    shown: String(DEFAULTS.shutdownDelay),
  },
  {
    key: "workers",
    flag: "workers",
    type: "string",
    describe: "Echo worker processes sharing the port (auto = one per CPU)",
    shown: String(DEFAULTS.workers),
  },
  {
    key: "tlsPort",
    flag: "tls-port",
    type: "string",
    describe: "TLS echo port on --host (needs --tls-cert and --tls-key)",
    shown: "off",
  },
  {
    key: "tlsCert",
    flag: "tls-cert",
    type: "string",
    describe: "PEM certificate (chain) for the TLS listener; re-read on SIGHUP",
    shown: "none",
  },
  {
    key: "tlsKey",
    flag: "tls-key",
    type: "string",
    describe: "PEM private key for --tls-cert; re-read on SIGHUP",
    shown: "none",
  },
  {
    key: "tlsCa",
    flag: "tls-ca",
    type: "string",
    describe: "PEM CA bundle: TLS clients must present a certificate it signed",
    shown: "none",
  },
  {
    key: "unix",
    flag: "unix",
    type: "string",
    describe: "Unix domain socket path to echo on (a stale socket file is replaced)",
    shown: "off",
  },
  {
    key: "unixMode",
    flag: "unix-mode",
    type: "string",
    describe: "File mode of the --unix socket (octal)",
    shown: `0${DEFAULTS.unixMode.toString(8)}`,
  },
  {
    key: "udpPort",
    flag: "udp-port",
    type: "string",
    describe: "UDP echo port on --host (RFC 862)",
    shown: "off",
  },
  {
    key: "udpMaxSize",
    flag: "udp-max-size",
    type: "string",
    describe: "Largest datagram echoed; larger ones are dropped",
    shown: String(DEFAULTS.udpMaxSize),
  },
  {
    key: "udpRateLimit",
    flag: "udp-rate-limit",
    type: "string",
    describe: "Datagrams per second echoed to one source address (0 = no limit)",
    shown: String(DEFAULTS.udpRateLimit),
  },
  {
    key: "framing",
    flag: "framing",
    type: "string",
    describe: `Echo unit on stream listeners: ${FRAMINGS.join(", ")}`,
    shown: DEFAULTS.framing,
  },
  {
    key: "maxMessageSize",
    flag: "max-message-size",
    type: "string",
    describe: "Largest framed message; a larger one closes the connection",
    shown: formatSize(DEFAULTS.maxMessageSize).replace(" ", ""),
  },
  {
    key: "delay",
    flag: "delay",
    type: "string",
    describe: "Fault: wait MS[:JITTER] milliseconds before echoing each chunk or message",
    shown: "0",
  },
  {
    key: "bandwidth",
    flag: "bandwidth",
    type: "string",
    describe: "Fault: echo at most this many bytes per second per connection (0 = off)",
    shown: String(DEFAULTS.bandwidth),
  },
  {
    key: "slice",
    flag: "slice",
    type: "string",
    describe: "Fault: echo in separate writes of at most this many bytes (0 = off)",
    shown: String(DEFAULTS.slice),
  },
  {
    key: "closeAfter",
    flag: "close-after",
    type: "string",
    describe: "Fault: close (FIN) after echoing this many bytes (0 = off)",
    shown: String(DEFAULTS.closeAfter),
  },
  {
    key: "resetAfter",
    flag: "reset-after",
    type: "string",
    describe: "Fault: reset (RST) after echoing this many bytes (0 = off)",
    shown: String(DEFAULTS.resetAfter),
  },
  {
    key: "faultRate",
    flag: "fault-rate",
    type: "string",
    describe: "The chance (0 to 1) that a new connection gets the faults",
    shown: String(DEFAULTS.faultRate),
  },
  {
    key: "metrics",
    flag: "metrics",
    type: "boolean",
    describe: "Serve /metrics, /livez and /readyz (--no-metrics turns it off)",
    shown: String(DEFAULTS.metrics),
  },
  {
    key: "metricsPort",
    flag: "metrics-port",
    type: "string",
    describe: "Admin HTTP port",
    shown: String(DEFAULTS.metricsPort),
  },
  {
    key: "metricsHost",
    flag: "metrics-host",
    type: "string",
    describe: "Admin HTTP address",
    shown: DEFAULTS.metricsHost,
  },
  {
    key: "logLevel",
    flag: "log-level",
    type: "string",
    describe: `Log level: ${LOG_LEVELS.join(", ")}`,
    shown: DEFAULTS.logLevel,
  },
  {
    key: "logFormat",
    flag: "log-format",
    type: "string",
    describe: `Log format: ${LOG_FORMATS.join(", ")}`,
    shown: DEFAULTS.logFormat,
  },
  {
    key: "logData",
    flag: "log-data",
    type: "boolean",
    describe: "Log a hex dump of the first 64 bytes each connection sends",
    shown: String(DEFAULTS.logData),
  },
];

export function envName(flag: string): string {
  return `${ENV_PREFIX}_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** For each option set from the environment, the variable's name, so errors can name it. */
export type OptionLabels = { readonly [K in keyof Config]?: string };

export type CliResult =
  | {
      readonly kind: "run" | "healthcheck";
      readonly options: RawOptions;
      readonly labels: OptionLabels;
    }
  | { readonly kind: "output"; readonly text: string };

/**
 * Parses `echod [port] [options]` and `echod healthcheck`. Environment
 * variables fill what the flags leave unset; flags win. Throws EchodError
 * (exit 2) with one line naming the bad flag.
 */
export function parseCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): CliResult {
  let output = "";
  const parser = yargs([...argv])
    .scriptName("echod")
    .usage(
      "$0 [PORT] [options]\n\nA high-throughput TCP echo daemon. Every option also reads ECHOD_<OPTION> from the environment; flags win.",
    )
    .command("$0 [PORT]", false)
    .command("healthcheck", "Ask a running echod's /livez (exit 0 if live, 1 if not)")
    .positional("PORT", {
      type: "string",
      describe: "Echo port, as with --port (the seed's `echod 8080`)",
    })
    .version(VERSION)
    .help()
    .alias("h", "help")
    .alias("v", "version")
    .strict()
    .parserConfiguration({
      "camel-case-expansion": false,
      "dot-notation": false,
      "duplicate-arguments-array": false,
    })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error instanceof EchodError
        ? error
        : new EchodError("E_USAGE", oneLine(message ?? String(error), argv));
    });
  for (const o of OPTIONS) {
    parser.option(o.flag, {
      type: o.type,
      describe: `${o.describe} [env: ${envName(o.flag)}]`,
      defaultDescription: o.shown,
      ...(o.alias === undefined ? {} : { alias: o.alias }),
    });
  }
  const parsed = parser.parseSync([...argv], {}, (_err, _argv, text) => {
    output = text;
  }) as Record<string, unknown>;
  if (output) return { kind: "output", text: output };
  const booleanText = scanFlags(argv, FLAG_SHAPES);

  const options: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  for (const o of OPTIONS) {
    const fromFlag = booleanText[o.flag] ?? parsed[o.flag];
    const fromEnv = env[envName(o.flag)];
    if (fromFlag !== undefined) {
      options[o.key] = fromFlag;
    } else if (fromEnv !== undefined) {
      options[o.key] = fromEnv;
      labels[o.key] = envName(o.flag);
    }
  }
  const positionalPort = parsed.PORT as string | undefined;
  if (positionalPort !== undefined) {
    if (parsed.port !== undefined && String(parsed.port) !== positionalPort) {
      throw new EchodError(
        "E_USAGE",
        `contradictory ports: positional ${JSON.stringify(positionalPort)} and --port ${JSON.stringify(String(parsed.port))}`,
      );
    }
    options.port = positionalPort;
    labels.port = "PORT";
  }
  const rest = parsed._ as unknown[];
  const kind = rest[0] === "healthcheck" ? "healthcheck" : "run";
  const extra = rest.slice(kind === "healthcheck" ? 1 : 0);
  if (extra.length > 0) {
    throw new EchodError("E_USAGE", `unexpected argument ${JSON.stringify(String(extra[0]))}`);
  }
  return { kind, options: options as RawOptions, labels: labels as OptionLabels };
}

const FLAG_SHAPES: readonly FlagShape[] = OPTIONS.map((o) => ({
  flag: o.flag,
  boolean: o.type === "boolean",
  ...(o.alias === undefined ? {} : { alias: o.alias }),
}));

/** A flag as `scanFlags` sees it: its name, its one-letter alias, and whether it is a switch. */
export interface FlagShape {
  readonly flag: string;
  readonly alias?: string;
  readonly boolean: boolean;
}

/** yargs-parser reads a token like this as a value (a negative number), never as a flag. */
const NEGATIVE_NUMBER = /^-(\d+(\.\d+)?|\.\d+)$/;

/**
 * Walks argv token by token, as yargs-parser splits it, for two things yargs
 * gets wrong for us: a flag given twice (yargs keeps the last one silently)
 * and `--switch=VALUE` (yargs reads every VALUE but "true" as false). Throws a
 * usage error naming a flag given more than once, in any spelling (`-p`,
 * `--port=`, `--no-x`); returns the text of each `--switch=VALUE` by flag, so
 * the caller validates it exactly like the environment variable. Flags not in
 * `shapes` are left to yargs' strict mode.
 */
export function scanFlags(
  argv: readonly string[],
  shapes: readonly FlagShape[],
): Record<string, string> {
  const byName = new Map<string, FlagShape>();
  for (const s of shapes) {
    byName.set(s.flag, s);
    if (s.alias !== undefined) byName.set(s.alias, s);
  }
  const seen = new Map<string, string[]>();
  const booleanText: Record<string, string> = {};
  const note = (shape: FlagShape, typed: string, text?: string) => {
    seen.set(shape.flag, [...(seen.get(shape.flag) ?? []), typed]);
    if (text !== undefined && shape.boolean) booleanText[shape.flag] = text;
  };
  // The value after `--flag` or `-f`, when yargs would take it: any non-flag for an
  // option with a value, only "true" or "false" for a switch.
  const takesNext = (shape: FlagShape, next: string | undefined) =>
    next !== undefined &&
    (shape.boolean
      ? /^(true|false)$/.test(next)
      : !next.startsWith("-") || NEGATIVE_NUMBER.test(next));
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-" || NEGATIVE_NUMBER.test(token)) continue;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const name = token.slice(2, eq < 0 ? undefined : eq);
      const negated = eq < 0 && name.startsWith("no-") ? byName.get(name.slice(3)) : undefined;
      const shape = negated ?? byName.get(name);
      if (shape === undefined) continue;
      if (eq >= 0) note(shape, token, token.slice(eq + 1));
      else if (negated === undefined && takesNext(shape, argv[i + 1])) {
        note(shape, `${token} ${argv[i + 1]}`);
        i++;
      } else note(shape, token);
      continue;
    }
    // One-letter flags, alone or grouped: "-p 7007", "-p7007", "-p=7007", "-jc 5".
    // As in yargs-parser, a value glued to a letter ends the group.
    const letters = token.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const letter = letters[j] as string;
      const shape = byName.get(letter);
      const rest = letters.slice(j + 1);
      const glued = rest.startsWith("=")
        ? rest.slice(1)
        : /^-?\d+(\.\d*)?(e-?\d+)?$/.test(rest) || /^\W/.test(rest)
          ? rest
          : undefined;
      if (glued !== undefined) {
        if (shape !== undefined) note(shape, token, glued);
        break;
      }
      if (shape === undefined) continue;
      if (rest === "" && takesNext(shape, argv[i + 1])) {
        note(shape, `${token} ${argv[i + 1]}`);
        i++;
      } else note(shape, token);
    }
  }
  for (const [flag, typed] of seen) {
    if (typed.length > 1) {
      throw new EchodError(
        "E_USAGE",
        `--${flag} given more than once (${typed.join(", ")}): give each option once`,
      );
    }
  }
  return booleanText;
}

/** yargs' messages, made one line and phrased like echod's own. */
function oneLine(message: string, argv: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message.trim());
  if (unknown) {
    const names = (unknown[1] ?? "").split(", ");
    // yargs lists a stray positional ("echod 7007 extra") with the unknown flags.
    const stray = names.find((n) => argv.includes(n));
    if (stray !== undefined) return `unexpected argument ${JSON.stringify(stray)}`;
    const flags = names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    return `unknown option ${flags.join(", ")} (see echod --help)`;
  }
  return message.replace(/\s*\n\s*/g, "; ").trim();
}
