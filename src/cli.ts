/**
 * The `echod` command line. Pure: it turns argv and an environment into raw
 * options (or a request for help or the version), and leaves validation to
 * `resolveConfig` and printing and exiting to main.ts. Precedence, per
 * option: a flag, else its environment variable, else the default.
 */

import { type FlagShape, scanFlags } from "./cli/scan-flags.ts";
import { buildParser } from "./cli/yargs.ts";
import type { OptionLabels } from "./config.ts";
import { EchodError } from "./errors.ts";
import { envName, OPTIONS, type RawOptions } from "./options.ts";

export { type FlagShape, scanFlags } from "./cli/scan-flags.ts";
export type { OptionLabels } from "./config.ts";

export type CliResult =
  | {
      readonly kind: "run" | "healthcheck";
      readonly options: RawOptions;
      readonly labels: OptionLabels;
    }
  | { readonly kind: "output"; readonly text: string };

const FLAG_SHAPES: readonly FlagShape[] = OPTIONS.map((o) => ({
  flag: o.flag,
  boolean: o.switch === true,
  repeatable: o.repeatable === true,
  ...(o.alias === undefined ? {} : { alias: o.alias }),
}));

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
  const parsed = buildParser(argv).parseSync([...argv], {}, (_err, _argv, text) => {
    output = text;
  }) as Record<string, unknown>;
  if (output) return { kind: "output", text: output };
  const repeated: Record<string, string[]> = {};
  const booleanText = scanFlags(argv, FLAG_SHAPES, repeated);

  const options: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  for (const o of OPTIONS) {
    const fromFlag = o.repeatable ? repeated[o.flag] : (booleanText[o.flag] ?? parsed[o.flag]);
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
